// Room codes: short, URL-safe, unambiguous when read aloud (no 0/o, 1/l/i).
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
export const ROOM_CODE_LENGTH = 8;
// Codes of the original ChatPop (8 of A–Z and 0–9, e.g. ZCMLY634) stay valid, so links to rooms moved
// from it keep working: stored in lower case, taken in any case (canonicalRoomPath).
const ROOM_CODE = new RegExp(`^[a-z0-9]{${ROOM_CODE_LENGTH}}$`);
const ANY_CASE_CODE = new RegExp(`^[A-Za-z0-9]{${ROOM_CODE_LENGTH}}$`);

export function newRoomCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ROOM_CODE_LENGTH));
  // 256 % 31 leaves a tiny bias, irrelevant for identifiers that are checked for uniqueness.
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("");
}

/** Cheap shape check before any lookup, so junk never reaches the database or a DO name (canonical: lower case). */
export const isRoomCode = (code: string) => ROOM_CODE.test(code);

/**
 * The path with its room code in lower case, or null when it is canonical already (or names no
 * room): every route, session token and Durable Object then sees one spelling of each code.
 */
export function canonicalRoomPath(path: string): string | null {
  const m = /^(\/api\/chats\/|\/ws\/chat\/)([^/]+)(\/.*)?$/.exec(path);
  if (!m || !ANY_CASE_CODE.test(m[2]!) || ROOM_CODE.test(m[2]!)) return null;
  return `${m[1]}${m[2]!.toLowerCase()}${m[3] ?? ""}`;
}

/** The room a Durable Object serves: its code (the object's name) and its Postgres id. */
export interface RoomRef {
  code: string;
  id: string;
}
