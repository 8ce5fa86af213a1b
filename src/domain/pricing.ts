// Money rules, in integer cents. Pins follow ChatPop's tiers: $1 → 10 min,
// $2 → 15, $5 → 20, $10 → 30, $15 → 45, $20 → 60, then every $5 up to $200
// adds 15 minutes. An amount between tiers buys the lower tier's time.


export const CURRENCY = "usd";

// The tiers, the amount limits and the outbid rule are part of the protocol (clients show them):
// protocol/pricing.ts. Re-exported here for the server's money rules.
export * from "../protocol/pricing";
import { pinTier } from "../protocol/pricing";

/**
 * How long an amount pins a message, in seconds (0 under the minimum).
 * `secondsPerMinute` is 60 in production; tests and demos may shorten time.
 */
export function pinSeconds(cents: number, secondsPerMinute = 60): number {
  return (pinTier(cents)?.minutes ?? 0) * secondsPerMinute;
}

/** Whole cents within [min, max]: the one check every amount goes through. */
export function amountProblem(cents: unknown, min: number, max: number): string | null {
  if (typeof cents !== "number" || !Number.isFinite(cents)) return "`amount_cents` must be a number of cents.";
  if (!Number.isInteger(cents)) return "`amount_cents` must be a whole number of cents.";
  if (cents < min) return `The amount must be at least ${formatUsd(min)}.`;
  if (cents > max) return `The amount can be at most ${formatUsd(max)}.`;
  return null;
}

export function formatUsd(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

/**
 * What a refund of `refundedCents` (of a payment of `paidCents` that bought `boughtSeconds` of pin
 * time) takes back: that share of the amount and of the time, never more than the payment gave.
 */
export function refundShare(paidCents: number, boughtSeconds: number, refundedCents: number): { cents: number; seconds: number } {
  const cents = Math.max(0, Math.min(paidCents, refundedCents));
  return { cents, seconds: paidCents > 0 ? (boughtSeconds * cents) / paidCents : 0 };
}
