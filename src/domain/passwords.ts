// Password (and room access code) hashing with PBKDF2-SHA256 through WebCrypto.
// Stored as "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" so the iteration
// count can be raised later without breaking existing hashes.
// 100,000 is the most iterations the Workers runtime allows for PBKDF2.
export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;

const encoder = new TextEncoder();

function toB64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromB64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function derive(secret: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(secret, salt, PBKDF2_ITERATIONS);
  return `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${toB64(salt)}$${toB64(hash)}`;
}

/** Compares in constant time over the hash bytes; a malformed stored value never matches. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, iterText, saltText, hashText] = stored.split("$");
  const iterations = Number(iterText);
  if (scheme !== "pbkdf2-sha256" || !Number.isInteger(iterations) || !saltText || !hashText) return false;
  const expected = fromB64(hashText);
  return sameBytes(await derive(secret, fromB64(saltText), iterations), expected);
}

/** Equal byte strings, compared in time that depends on neither where they differ nor the given one's length. */
export function sameBytes(given: Uint8Array, expected: Uint8Array): boolean {
  let diff = given.byteLength ^ expected.byteLength;
  for (let i = 0; i < expected.byteLength; i++) diff |= (given[i] ?? 0) ^ expected[i]!;
  return diff === 0;
}

/** A well-formed hash of nothing, checked when no user matches so a login takes the same time either way. */
export const DECOY_HASH = `pbkdf2-sha256$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;
