// History cursors are opaque to clients; inside, a cursor is the seq of the
// oldest message a page returned. seq is unique and only grows within a room,
// so "seq < cursor" pages are stable while new messages keep arriving.
const PREFIX = "s1.";
const MAX_SEQ = 2 ** 31 - 1;

export function encodeCursor(seq: number): string {
  return btoa(PREFIX + seq.toString(36)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

export function decodeCursor(cursor: string): number | null {
  try {
    const text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    if (!text.startsWith(PREFIX)) return null;
    const digits = text.slice(PREFIX.length);
    if (!/^[0-9a-z]{1,11}$/.test(digits)) return null;
    const seq = parseInt(digits, 36);
    // seq is a Postgres integer: a cursor past it cannot come from a page, and would fail the query.
    return Number.isSafeInteger(seq) && seq > 0 && seq <= MAX_SEQ ? seq : null;
  } catch {
    return null;
  }
}

/** Where a history page ends: before a seq (our cursor), or before a moment (the original ChatPop's). */
export type Before = { seq: number } | { time: Date };

/**
 * `before` as a client sends it: our opaque cursor, or the original ChatPop's timestamp (Unix
 * seconds with an optional fraction, or ISO 8601). Null when it is none of them. A moment becomes
 * the first whole millisecond at or after it: stored times are whole milliseconds, so "older than
 * it" selects the same messages.
 */
export function parseBefore(text: string): Before | null {
  const unix = /^(\d{1,11})(?:\.(\d{1,9}))?$/.exec(text);
  if (unix) return atMicros(BigInt(unix[1]!) * 1_000_000n + fractionMicros(unix[2]));
  const iso = ISO_8601.exec(text);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac, zone] = iso;
    const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +(s ?? 0));
    const back = new Date(ms);
    // Date.UTC rolls 30 February over into March; a date that does not exist is malformed.
    if (back.getUTCFullYear() !== +y! || back.getUTCMonth() !== +mo! - 1 || back.getUTCDate() !== +d! || +h! > 23 || +mi! > 59 || +(s ?? 0) > 59) return null;
    const offsetMinutes = zone === "Z" ? 0 : (zone![0] === "-" ? -1 : 1) * (+zone!.slice(1, 3) * 60 + +zone!.slice(-2));
    if (Math.abs(offsetMinutes) > 14 * 60) return null;
    return atMicros(BigInt(ms - offsetMinutes * 60_000) * 1000n + fractionMicros(frac));
  }
  const seq = decodeCursor(text);
  return seq === null ? null : { seq };
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;

const fractionMicros = (digits: string | undefined) => BigInt((digits ?? "").padEnd(6, "0").slice(0, 6) || "0");

function atMicros(micros: bigint): Before | null {
  const ms = Number((micros + 999n) / 1000n);
  // Past what a Date can hold: no message is that new, so it reads as "from the newest".
  return { time: new Date(Math.min(ms, MAX_DATE_MS)) };
}

const MAX_DATE_MS = 8.64e15;
