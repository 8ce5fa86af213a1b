// The Redis window of a room's newest messages: a sorted set scored by seq,
// trimmed to MESSAGE_CACHE_MAX_COUNT and expiring MESSAGE_CACHE_TTL_HOURS after
// the last write. Members are the public message JSON (without client_id).
import type { Redis } from "@upstash/redis/cloudflare";
import type { PublicMessage } from "../domain/message";

export const messagesKey = (code: string) => `chat:${code}:messages`;

export interface WindowSettings {
  maxCount: number;
  ttlSeconds: number;
}

export function windowSettings(env: { MESSAGE_CACHE_MAX_COUNT?: string; MESSAGE_CACHE_TTL_HOURS?: string }): WindowSettings {
  const positive = (text: string | undefined, fallback: number) => {
    const n = Number(text);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return {
    maxCount: Math.floor(positive(env.MESSAGE_CACHE_MAX_COUNT, 500)),
    ttlSeconds: Math.round(positive(env.MESSAGE_CACHE_TTL_HOURS, 24) * 3600),
  };
}

/** Adds messages, trims to the newest maxCount and refreshes the TTL, in one round trip. */
export async function appendToWindow(
  redis: Redis,
  code: string,
  messages: PublicMessage[],
  settings: WindowSettings,
): Promise<void> {
  if (messages.length === 0) return;
  const key = messagesKey(code);
  const [first, ...rest] = messages.map((m) => ({ score: m.seq, member: JSON.stringify(m) }));
  const p = redis.multi();
  p.zadd(key, first!, ...rest);
  p.zremrangebyrank(key, 0, -(settings.maxCount + 1));
  p.expire(key, settings.ttlSeconds);
  await p.exec();
}
