// Per-IP rate limits for the endpoints a flood would hit first. Each is
// "<requests>/<window>" (window as @upstash/ratelimit writes it: "60 s",
// "10 m", "1 h"), overridable per deploy with a RATE_LIMIT_<NAME> var.

export type RateLimitName = "register" | "login" | "join" | "create_room" | "name_check" | "suggest_username" | "access_code" | "lookup" | "account_data";

/** How many times a /64's budget a wider IPv6 block gets: several subscribers may share one, but not a thousand /64s. */
export const BLOCK_BUDGET = { 56: 4, 48: 16 } as const;

/**
 * How many times an address's access-code budget one room gets from all addresses together: a
 * guesser spread over many addresses still meets a wall per room (its members keep their way in).
 */
export const ROOM_ACCESS_CODE_BUDGET = 10;

export interface RateLimitRule {
  requests: number;
  window: `${number} ${"ms" | "s" | "m" | "h" | "d"}`;
}

export const DEFAULT_RATE_LIMITS: Record<RateLimitName, string> = {
  register: "10/1 h",
  login: "20/10 m",
  join: "30/1 m",
  // Per address and per account: rooms are cheap to ask for and each one is kept.
  create_room: "20/1 h",
  // Registration's "is this name free?" while the visitor types: generous, but not a free oracle.
  name_check: "60/1 m",
  suggest_username: "20/1 h",
  // Wrong access codes of private rooms (join, validate-username, the back room's details), per
  // address across rooms; a room takes ROOM_ACCESS_CODE_BUDGET× this from everyone together.
  access_code: "10/10 m",
  // A room's lookups by fingerprint or address (fingerprint-username, check-rate-limit, my-participation).
  lookup: "120/1 m",
  // An account's export and deletion (each re-reads everything about it; deletion checks the password), per address and per account.
  account_data: "10/1 h",
};

const SPEC = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*(ms|s|m|h|d)\s*$/;

/** The rule a spec describes, or null when the spec is not "<requests>/<number> <unit>". */
export function parseRateLimit(spec: string): RateLimitRule | null {
  const m = SPEC.exec(spec);
  if (!m) return null;
  const requests = Number(m[1]);
  const amount = Number(m[2]);
  if (requests < 1 || amount < 1) return null;
  return { requests, window: `${amount} ${m[3] as "ms" | "s" | "m" | "h" | "d"}` };
}

/** The configured rule for `name`: a bad override falls back to the default, never to no limit. */
export function rateLimitRule(name: RateLimitName, override: string | undefined): RateLimitRule {
  return (override && parseRateLimit(override)) || parseRateLimit(DEFAULT_RATE_LIMITS[name])!;
}

/** Whole seconds until `resetAtMs`, at least 1: the Retry-After a refused caller should wait. */
export function retryAfterSeconds(resetAtMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((resetAtMs - nowMs) / 1000));
}
