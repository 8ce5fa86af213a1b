// Presence: how many distinct participants have a socket open in the room.
// Broadcast when the number changes, at most once a second, so a wave of
// connects or a reconnect storm costs one frame, not one per socket.
import { presenceFrame } from "../protocol";

export const PRESENCE_MIN_INTERVAL_MS = 1000;

export class Presence {
  private lastSent: string | number | null = null;
  private lastSentAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly count: () => number,
    /** Tells the new count: to every socket (a room), or to the room (a relay). */
    private readonly publish: (count: number) => void,
    /** What must change for it to be told again (a relay's report says more than the count). */
    private readonly snapshot: () => string | number = count,
    /** The server's clock. */
    private readonly now: () => number = Date.now,
  ) {}

  current(): number {
    return this.count();
  }

  /** The current count as a frame, for a socket that just connected. */
  frame(): string {
    return presenceFrame(this.count());
  }

  /** Something connected or left: send the new count now, or once the interval has passed. */
  changed(): void {
    if (this.timer) return;
    const wait = this.lastSentAt + PRESENCE_MIN_INTERVAL_MS - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush() {
    this.timer = null;
    const now = this.snapshot();
    if (now === this.lastSent) return;
    this.lastSent = now;
    this.lastSentAt = this.now();
    this.publish(this.count());
  }
}

