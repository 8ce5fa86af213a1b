// Money rules, in integer cents. Pins follow ChatPop's tiers: $1 → 10 min,
// $2 → 15, $5 → 20, $10 → 30, $15 → 45, $20 → 60, then every $5 up to $200
// adds 15 minutes. An amount between tiers buys the lower tier's time.

import { positiveSetting } from "./settings";

export const CURRENCY = "usd";

interface Tier {
  cents: number;
  minutes: number;
}

const FIXED_TIERS: Tier[] = [
  { cents: 100, minutes: 10 },
  { cents: 200, minutes: 15 },
  { cents: 500, minutes: 20 },
  { cents: 1000, minutes: 30 },
  { cents: 1500, minutes: 45 },
  { cents: 2000, minutes: 60 },
];

export const PIN_MIN_CENTS = 100;
export const PIN_MAX_CENTS = 20_000;
export const TIP_MIN_CENTS = 100;
export const TIP_MAX_CENTS = 50_000;
export const BACKROOM_MIN_PRICE_CENTS = 100;
export const BACKROOM_MAX_PRICE_CENTS = 50_000;
export const BACKROOM_MAX_SEATS = 1000;

export const PIN_TIERS: readonly Tier[] = [
  ...FIXED_TIERS,
  ...Array.from({ length: (PIN_MAX_CENTS - 2000) / 500 }, (_, i) => ({ cents: 2500 + i * 500, minutes: 75 + i * 15 })),
];

/** The highest tier the amount reaches, or null under the minimum. */
export function pinTier(cents: number): Tier | null {
  let found: Tier | null = null;
  for (const t of PIN_TIERS) if (cents >= t.cents) found = t;
  return found;
}

/**
 * How long an amount pins a message, in seconds (0 under the minimum).
 * `secondsPerMinute` is 60 in production; tests and demos may shorten time.
 */
export function pinSeconds(cents: number, secondsPerMinute = 60): number {
  return (pinTier(cents)?.minutes ?? 0) * secondsPerMinute;
}

/** PIN_SECONDS_PER_MINUTE as a number: 60 unless a positive override is set. */
export function pinClock(setting: string | undefined): number {
  return positiveSetting(setting, 60);
}

/**
 * The least a new pin must pay to take the top spot from a pin of `topCents`:
 * the first tier above the top pin's tier (or the top tier itself when the
 * top pin is already at or above the last tier, plus a step).
 */
export function minimumToOutbid(topCents: number | null): number {
  if (topCents === null) return PIN_MIN_CENTS;
  const next = PIN_TIERS.find((t) => t.cents > topCents);
  // Never above what one payment may be: a top pin at the maximum can still be matched.
  return Math.min(PIN_MAX_CENTS, next ? next.cents : topCents + 500);
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
