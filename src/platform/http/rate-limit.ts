// Per-IP rate limits with @upstash/ratelimit on the app's Redis. A refused
// call gets 429 RATE_LIMITED with Retry-After. If Redis cannot answer, the
// call goes through (logged): the limits protect the service, they must not
// take sign-up and joining down with the cache.
import { Ratelimit } from "@upstash/ratelimit";
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import { ApiError } from "../errors";
import { rateLimitRule, retryAfterSeconds, type RateLimitName } from "../../domain/rate-limits";
import { redisClient } from "../redis";
import { errorText, logEvent } from "../log";
import { requireClientIp } from "./client-ip";
import type { AppEnv } from "./context";

const OVERRIDE: Record<RateLimitName, keyof Env> = {
  register: "RATE_LIMIT_REGISTER",
  login: "RATE_LIMIT_LOGIN",
  join: "RATE_LIMIT_JOIN",
};

// One limiter per name and isolate: it keeps no state of its own worth recreating per request.
const limiters = new Map<string, Ratelimit>();

function limiter(env: Env, name: RateLimitName): Ratelimit {
  const rule = rateLimitRule(name, env[OVERRIDE[name]] as string | undefined);
  const id = `${name}:${rule.requests}/${rule.window}:${env.UPSTASH_REDIS_REST_URL}`;
  let found = limiters.get(id);
  if (!found) {
    found = new Ratelimit({
      redis: redisClient(env),
      limiter: Ratelimit.slidingWindow(rule.requests, rule.window),
      prefix: `ratelimit:${name}`,
      timeout: 1500,
      analytics: false,
    });
    limiters.set(id, found);
  }
  return found;
}

/** Middleware: the call counts against its address's limit before the handler runs. */
export const rateLimit = (name: RateLimitName) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await checkRateLimit(c, name);
    await next();
  });

/**
 * Counts the call against its address's limit; throws 429 RATE_LIMITED past it. A handler may
 * run it next to its own reads (one round trip for both) as long as it writes nothing before
 * this resolves.
 */
export async function checkRateLimit(c: Context<AppEnv>, name: RateLimitName): Promise<void> {
  const ip = requireClientIp(c);
  let result: Awaited<ReturnType<Ratelimit["limit"]>> | null = null;
  try {
    result = await limiter(c.env, name).limit(ip);
    c.executionCtx.waitUntil(result.pending);
  } catch (e) {
    logEvent("rate_limit_unavailable", { limit: name, error: errorText(e) });
  }
  if (result && !result.success) {
    const wait = retryAfterSeconds(result.reset, Date.now());
    logEvent("rate_limited", { limit: name });
    throw new ApiError(
      429,
      "RATE_LIMITED",
      `Too many ${name} attempts from your network; try again in ${wait} s.`,
      { retry_after_seconds: wait },
      { "Retry-After": String(wait) },
    );
  }
}
