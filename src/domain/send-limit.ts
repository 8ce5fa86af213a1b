// Send and reaction limits: a token bucket (a burst, then a steady rate) per
// participant. A take over the limit is refused; a participant that keeps
// taking from an empty bucket (ABUSE_REFUSALS refusals within ABUSE_WINDOW_MS)
// is abusive, and its socket gets closed with 1008.

export const ABUSE_WINDOW_MS = 10_000;

export interface LimitSettings {
  burst: number;
  perSecond: number;
  /** Refused takes within ABUSE_WINDOW_MS that make a taker abusive (default: three bursts' worth, at least 10). */
  abuseAfter?: number;
}

export type Take = "ok" | "limited" | "abusive";

export class SendLimiter {
  private tokens: number;
  private last: number;
  private refusals: number[] = [];

  constructor(
    private readonly settings: LimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = settings.burst;
    this.last = now();
  }

  /** "ok" spends a token; "limited" refuses this one; "abusive" means close the connection. */
  take(): Take {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return "ok";
    }
    const t = this.last;
    this.refusals = this.refusals.filter((r) => t - r < ABUSE_WINDOW_MS);
    this.refusals.push(t);
    return this.refusals.length >= this.abuseRefusals() ? "abusive" : "limited";
  }

  /** Whole seconds until the next take succeeds (at least 1 when the bucket is empty), for Retry-After. */
  retryAfterSeconds(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - this.tokens) / this.settings.perSecond));
  }

  /** Full again: forgetting it changes nothing. */
  idle(): boolean {
    this.refill();
    return this.tokens >= this.settings.burst && this.refusals.length === 0;
  }

  private refill() {
    const t = this.now();
    this.tokens = Math.min(this.settings.burst, this.tokens + ((t - this.last) / 1000) * this.settings.perSecond);
    this.last = t;
    if (this.refusals.length > 0 && t - this.refusals.at(-1)! >= ABUSE_WINDOW_MS) this.refusals = [];
  }

  /** Three bursts' worth of refused takes in the window, unless the settings say otherwise. */
  private abuseRefusals(): number {
    return this.settings.abuseAfter ?? Math.max(10, Math.ceil(this.settings.burst * 3));
  }
}

/** How many idle buckets a room keeps before it forgets them. */
const KEEP_IDLE = 1_000;

/**
 * One bucket per participant, whatever socket or path (WebSocket, REST) its
 * sends come by, so reconnecting or switching paths refills nothing. Kept in
 * the room's memory: a room forgets them only when it is evicted, which takes
 * longer of quiet than any bucket needs to refill by itself.
 */
export class Allowances {
  private readonly buckets = new Map<string, SendLimiter>();

  constructor(
    private readonly settings: LimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  take(participantId: string): Take {
    return this.bucket(participantId).take();
  }

  retryAfterSeconds(participantId: string): number {
    return this.buckets.get(participantId)?.retryAfterSeconds() ?? 0;
  }

  private bucket(participantId: string): SendLimiter {
    let found = this.buckets.get(participantId);
    if (!found) {
      if (this.buckets.size >= KEEP_IDLE) for (const [id, b] of this.buckets) if (b.idle()) this.buckets.delete(id);
      this.buckets.set(participantId, (found = new SendLimiter(this.settings, this.now)));
    }
    return found;
  }
}
