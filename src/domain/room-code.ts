// Room codes: short, URL-safe, unambiguous when read aloud (no 0/o, 1/l/i).
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
export const ROOM_CODE_LENGTH = 8;
const ROOM_CODE = new RegExp(`^[${ALPHABET}]{${ROOM_CODE_LENGTH}}$`);

export function newRoomCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ROOM_CODE_LENGTH));
  // 256 % 31 leaves a tiny bias, irrelevant for identifiers that are checked for uniqueness.
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("");
}

/** Cheap shape check before any lookup, so junk never reaches the database or a DO name. */
export const isRoomCode = (code: string) => ROOM_CODE.test(code);

/** The room a Durable Object serves: its code (the object's name) and its Postgres id. */
export interface RoomRef {
  code: string;
  id: string;
}
