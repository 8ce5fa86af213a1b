// Keeping a counted run of calls inside one window of a rate limit.
//
// @upstash/ratelimit's sliding window counts the current window plus the
// previous one's count weighted by how much of it still overlaps, rounded
// down. Calls that straddle a window's edge can therefore get one more through
// than the limit (and more the further past the edge they run), so a test that
// counts to the limit exactly must not run across an edge. The windows are
// aligned to multiples of their length since the epoch.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** Waits, if need be, until the next `spanMs` fall inside one window `windowMs` long. */
export async function withinOneRateWindow(windowMs: number, spanMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < spanMs) await new Promise((r) => setTimeout(r, left + 100));
}
