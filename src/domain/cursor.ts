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
