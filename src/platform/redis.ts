// The Upstash Redis REST client. Calls are bounded in time: the cache must never
// hold up a send or a read for long (Postgres is the source of truth).
import { Redis } from "@upstash/redis/cloudflare";

export const REDIS_TIMEOUT_MS = 1500;

export function redisClient(env: { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string }): Redis {
  const redis = new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: { retries: 1, backoff: () => 50 },
    enableTelemetry: false,
    automaticDeserialization: false,
  });
  // Each call's deadline is a timer cleared when the call ends: AbortSignal.timeout would stay
  // pending for the whole time after every call, and a pending timer keeps a room from sleeping.
  // (A signal given as a function makes the client throw on the abort rather than answer with it.)
  redis.use(async (req, next) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException("The Redis call timed out", "TimeoutError")), REDIS_TIMEOUT_MS);
    try {
      return await next({ ...req, signal: (() => controller.signal) as unknown as AbortSignal });
    } finally {
      clearTimeout(timer);
    }
  });
  return redis;
}
