// Per-address rate limits with @upstash/ratelimit on the app's Redis. An IPv6
// caller counts at its /64 and, with larger budgets, at its /56 and /48 (one
// customer holds a /48); some limits also count per account. A refused call
// gets 429 RATE_LIMITED with Retry-After. If Redis cannot answer, the call goes
// through (logged): the limits protect the service, they must not take sign-up
// and joining down with the cache. A budget of failures (wrong access codes) is
// taken before the attempt and given back when it succeeds (`refund`).
import { Ratelimit } from "@upstash/ratelimit";
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import { ApiError } from "../errors";
import { BLOCK_BUDGET, ROOM_ACCESS_CODE_BUDGET, rateLimitRule, retryAfterSeconds, type RateLimitName } from "../../domain/rate-limits";
import { addressBlocks } from "../../domain/client-ip";
import { redisClient } from "../redis";
import { errorText, logEvent } from "../log";
import { requireClientIp } from "./client-ip";
import type { AppEnv } from "./context";

const OVERRIDE: Record<RateLimitName, keyof Env> = {
  register: "RATE_LIMIT_REGISTER",
  login: "RATE_LIMIT_LOGIN",
  join: "RATE_LIMIT_JOIN",
  create_room: "RATE_LIMIT_CREATE_ROOM",
  name_check: "RATE_LIMIT_NAME_CHECK",
  suggest_username: "RATE_LIMIT_SUGGEST_USERNAME",
  access_code: "RATE_LIMIT_ACCESS_CODE",
  lookup: "RATE_LIMIT_LOOKUP",
  account_data: "RATE_LIMIT_ACCOUNT_DATA",
};

// One limiter per rule and isolate: it keeps no state of its own worth recreating per request.
const limiters = new Map<string, Ratelimit>();

/** The limiter of a rule at one scope: the address itself (×1), a wider block or an account (×budget). */
function limiter(env: Env, name: RateLimitName, scope: string, times: number): Ratelimit {
  const rule = rateLimitRule(name, env[OVERRIDE[name]] as string | undefined);
  const requests = rule.requests * times;
  const id = `${name}:${scope}:${requests}/${rule.window}:${env.UPSTASH_REDIS_REST_URL}`;
  let found = limiters.get(id);
  if (!found) {
    found = new Ratelimit({
      redis: redisClient(env),
      limiter: Ratelimit.slidingWindow(requests, rule.window),
      prefix: scope === "address" ? `ratelimit:${name}` : `ratelimit:${name}:${scope}`,
      timeout: 1500,
      analytics: false,
    });
    limiters.set(id, found);
  }
  return found;
}

/** Middleware: the call counts against its address's limits before the handler runs. */
export const rateLimit = (name: RateLimitName) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await checkRateLimit(c, name);
    await next();
  });

/**
 * checkRateLimit started now and settled later: a handler reads (and may write what it can take
 * back) meanwhile, and awaits `passed()` before it answers, so the count costs no round trip of its own.
 */
export function rateLimitBeside(c: Context<AppEnv>, name: RateLimitName, opts: { accountId?: string; roomId?: string } = {}) {
  const refusal = checkRateLimit(c, name, opts).then(
    () => null,
    (e: unknown) => e,
  );
  return {
    /** Throws the 429 when the call was over its budget. */
    async passed(): Promise<void> {
      const e = await refusal;
      if (e) throw e;
    },
  };
}

/**
 * Counts the call against its address's limits (and the account's, when given); throws 429
 * RATE_LIMITED past any of them. A handler may run it next to its own reads (one round trip
 * for both) as long as it writes nothing before this resolves.
 */
export async function checkRateLimit(
  c: Context<AppEnv>,
  name: RateLimitName,
  opts: { accountId?: string; roomId?: string } = {},
): Promise<{ remaining: number | null; refund: () => void }> {
  const counted = scopesOf(c, opts);
  const results = await Promise.all(
    counted.map(async ({ scope, key, times }) => {
      try {
        const result = await limiter(c.env, name, scope, times).limit(key);
        c.executionCtx.waitUntil(result.pending);
        return { scope, result };
      } catch (e) {
        logEvent("rate_limit_unavailable", { limit: name, error: errorText(e) });
        return null;
      }
    }),
  );
  const refused = results.find((r) => r !== null && !r.result.success);
  if (refused) throw rateLimited(name, refused.scope, refused.result.reset);
  // How many more calls the tightest scope allows (null when Redis could not say).
  const left = results.flatMap((r) => (r ? [r.result.remaining] : []));
  // Gives the call back to every scope that counted it (@upstash/ratelimit refunds with a negative rate).
  const refund = () => {
    for (const { scope, key, times } of counted) {
      const giving = limiter(c.env, name, scope, times)
        .limit(key, { rate: -1 })
        .then((r) => r.pending)
        .catch((e) => logEvent("rate_limit_unavailable", { limit: name, error: errorText(e) }));
      c.executionCtx.waitUntil(giving);
    }
  };
  return { remaining: left.length > 0 ? Math.min(...left) : null, refund };
}

type Scope = { scope: string; key: string; times: number };

/** What a call counts against: its address, an IPv6 caller's wider blocks, and the account or room when given. */
function scopesOf(c: Context<AppEnv>, opts: { accountId?: string; roomId?: string }): Scope[] {
  const ip = requireClientIp(c);
  return [
    { scope: "address", key: ip, times: 1 },
    ...addressBlocks(ip).map((b) => ({ scope: `v6-${b.prefix}`, key: b.key, times: BLOCK_BUDGET[b.prefix] })),
    ...(opts.accountId ? [{ scope: "account", key: opts.accountId, times: 1 }] : []),
    ...(opts.roomId ? [{ scope: "room", key: opts.roomId, times: ROOM_ACCESS_CODE_BUDGET }] : []),
  ];
}

/** The 429 of a scope past its budget until `reset` (epoch ms), logged. */
function rateLimited(name: RateLimitName, scope: string, reset: number): ApiError {
  const wait = retryAfterSeconds(reset, Date.now());
  logEvent("rate_limited", { limit: name, scope });
  const who = scope === "account" ? "your account" : scope === "room" ? "everyone for this room" : "your network";
  return new ApiError(
    429,
    "RATE_LIMITED",
    `Too many ${name.replace("_", " ")} attempts from ${who}; try again in ${wait} s.`,
    { retry_after_seconds: wait },
    { "Retry-After": String(wait) },
  );
}

/**
 * Scopes this isolate saw go over a budget counted after the answer, and when their window lets
 * them in again (epoch ms). Bounded: past OVER_MAX the oldest entries go (a flood from many
 * addresses then costs each of them one more round trip of counting, never a refusal missed for long).
 */
const over = new Map<string, number>();
const OVER_MAX = 10_000;

/**
 * Counts the call against its budgets after the answer (waitUntil), so a lookup served without a
 * database pays no round trip to Upstash either. A scope Upstash said was over its budget is
 * refused (429) by this isolate until its window resets; so past the budget an address gets at
 * most the calls already in flight while its first refused count travels, per isolate, and then
 * nothing. For cheap reads only; what guards a write or a secret (joins, access codes) counts first.
 */
export function countAfter(c: Context<AppEnv>, name: RateLimitName, opts: { accountId?: string } = {}): void {
  const counted = scopesOf(c, opts).map((s) => ({ ...s, id: `${name}:${s.scope}:${s.key}` }));
  const now = Date.now();
  for (const { scope, id } of counted) {
    const until = over.get(id);
    if (until === undefined) continue;
    if (until > now) throw rateLimited(name, scope, until);
    over.delete(id);
  }
  for (const { scope, key, times, id } of counted) {
    const counting = limiter(c.env, name, scope, times)
      .limit(key)
      .then(async (r) => {
        await r.pending;
        if (r.success) return;
        if (over.size >= OVER_MAX) over.delete(over.keys().next().value!);
        over.set(id, r.reset);
      })
      .catch((e) => logEvent("rate_limit_unavailable", { limit: name, error: errorText(e) }));
    c.executionCtx.waitUntil(counting);
  }
}
