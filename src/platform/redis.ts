// The Upstash Redis REST client. Calls are bounded in time: the cache must never
// hold up a send or a read for long (Postgres is the source of truth).
import { Redis } from "@upstash/redis/cloudflare";

export const REDIS_TIMEOUT_MS = 1500;

export function redisClient(env: { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string }): Redis {
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(REDIS_TIMEOUT_MS),
    enableTelemetry: false,
    automaticDeserialization: false,
  });
}
