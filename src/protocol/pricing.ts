// What money buys, in integer cents: the protocol's own numbers, so a client can show what each
// pin tier buys and what it takes to outbid the top pin. Pins follow ChatPop's tiers: $1 → 10 min,
// $2 → 15, $5 → 20, $10 → 30, $15 → 45, $20 → 60, then every $5 up to $200 adds 15 minutes. An
// amount between tiers buys the lower tier's time.

export interface Tier {
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
 * The least a new pin must pay to take the top spot from a pin of `topCents`:
 * the first tier above the top pin's tier, never more than PIN_MAX_CENTS.
 */
export function minimumToOutbid(topCents: number | null): number {
  if (topCents === null) return PIN_MIN_CENTS;
  const next = PIN_TIERS.find((t) => t.cents > topCents);
  // Never above what one payment may be: a top pin at the maximum can still be matched.
  return Math.min(PIN_MAX_CENTS, next ? next.cents : topCents + 500);
}

