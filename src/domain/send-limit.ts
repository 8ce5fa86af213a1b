// Per-connection send limits: a token bucket (a burst, then a steady rate).
// A send over the limit is refused; a connection that keeps sending into a
// closed bucket (ABUSE_REFUSALS refusals within ABUSE_WINDOW_MS) is abusive
// and gets closed with 1008.
import { positiveSetting } from "./settings";

export const ABUSE_WINDOW_MS = 10_000;

export interface SendLimitSettings {
  burst: number;
  perSecond: number;
}

export function sendLimitSettings(env: { SEND_BURST?: string; SEND_PER_SECOND?: string }): SendLimitSettings {
  return { burst: positiveSetting(env.SEND_BURST, 20), perSecond: positiveSetting(env.SEND_PER_SECOND, 5) };
}

export class SendLimiter {
  private tokens: number;
  private last: number;
  private refusals: number[] = [];

  constructor(
    private readonly settings: SendLimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = settings.burst;
    this.last = now();
  }

  /** "ok" spends a token; "limited" refuses this send; "abusive" means close the connection. */
  take(): "ok" | "limited" | "abusive" {
    const t = this.now();
    this.tokens = Math.min(this.settings.burst, this.tokens + ((t - this.last) / 1000) * this.settings.perSecond);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return "ok";
    }
    this.refusals = this.refusals.filter((r) => t - r < ABUSE_WINDOW_MS);
    this.refusals.push(t);
    return this.refusals.length >= this.abuseRefusals() ? "abusive" : "limited";
  }

  /** Three bursts' worth of refused sends in the window. */
  private abuseRefusals(): number {
    return Math.max(10, Math.ceil(this.settings.burst * 3));
  }
}
