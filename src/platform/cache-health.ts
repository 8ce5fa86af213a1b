// Whether the room may use Redis right now, and whether Redis has fallen
// behind Postgres. After a failed or timed-out call the room stops calling
// Redis for a short pause (so sends are not held up by a dead cache), and the
// next cache write rebuilds the room's Redis state from Postgres instead of
// appending to a window that has missed messages.
export const CACHE_PAUSE_MS = 5_000;

export class CacheHealth {
  private pausedUntil = 0;
  private staleNow = false;

  constructor(
    /** Keeps the stale mark across restarts (Durable Object storage), so a window with a hole is never trusted. */
    private readonly remember: (stale: boolean) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Redis missed at least one write: rebuild before trusting it again. */
  get stale(): boolean {
    return this.staleNow;
  }

  set stale(value: boolean) {
    if (value !== this.staleNow) this.remember(value);
    this.staleNow = value;
  }

  usable(): boolean {
    return this.now() >= this.pausedUntil;
  }

  failed(): void {
    this.stale = true;
    this.pausedUntil = this.now() + CACHE_PAUSE_MS;
  }

  repaired(): void {
    this.stale = false;
  }

  /**
   * Runs a cache write while Redis is usable. A write skipped during the
   * pause, or one that fails, marks Redis stale (a failure also starts the
   * pause); the error goes to `onError` for the caller's log line, never up:
   * Postgres already has the change.
   */
  async write(fn: () => Promise<void>, onError: (e: unknown) => void): Promise<void> {
    if (!this.usable()) {
      this.stale = true;
      return;
    }
    try {
      await fn();
    } catch (e) {
      this.failed();
      onError(e);
    }
  }
}
