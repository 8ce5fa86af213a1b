// Numeric settings come from wrangler vars as strings: one reading rule for all of them.

/** The var as a positive number, or the fallback when it is unset, not a number, or not positive. */
export function positiveSetting(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return text && Number.isFinite(n) && n > 0 ? n : fallback;
}
