// The pinned set chat:{code}:pinned: message ids scored by pinned_until (epoch
// ms), so readers can drop ended pins by score without waiting for the alarm.
import type { Redis } from "@upstash/redis/cloudflare";
import { pinnedKey } from "../../platform/cache-keys";

export async function cachePin(redis: Redis, code: string, messageId: string, untilMs: number, ttlSeconds: number): Promise<void> {
  const key = pinnedKey(code);
  const tx = redis.multi();
  tx.zadd(key, { score: untilMs, member: messageId });
  tx.zremrangebyscore(key, "-inf", Date.now());
  // The set outlives its longest pin and at least the message window.
  tx.expire(key, Math.max(ttlSeconds, Math.ceil((untilMs - Date.now()) / 1000) + 60));
  await tx.exec();
}

export async function uncachePins(redis: Redis, code: string, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  const [first, ...rest] = messageIds;
  await redis.zrem(pinnedKey(code), first!, ...rest);
}
