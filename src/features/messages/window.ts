// The Redis window of a room's newest messages: a sorted set scored by seq,
// trimmed to MESSAGE_CACHE_MAX_COUNT and expiring MESSAGE_CACHE_TTL_HOURS after
// the last write. Members are the public message JSON (without client_id, and
// with `reactions: []`: counts change after a message is cached, so readers take
// them from Postgres in the same batch as the rest of what they read).
import type { Channel, PublicMessage } from "../../protocol";
import type { Redis } from "@upstash/redis/cloudflare";
import type { Settings } from "../../platform/settings";
import { pinnedKey, windowKey } from "../../platform/cache-keys";

export interface WindowSettings {
  maxCount: number;
  /** About how many bytes of messages one window may hold (one participant must not fill Redis with long ones). */
  maxBytes: number;
  ttlSeconds: number;
}

export function windowSettings(s: Settings): WindowSettings {
  return { maxCount: s.MESSAGE_CACHE_MAX_COUNT, maxBytes: s.MESSAGE_CACHE_MAX_BYTES, ttlSeconds: Math.round(s.MESSAGE_CACHE_TTL_HOURS * 3600) };
}

/**
 * How many messages, taken newest first, the window keeps: at most maxCount, within the byte
 * budget, and always the newest one. The one budget rule for both writers of the window.
 */
export function countWithin(sizesNewestFirst: number[], settings: Pick<WindowSettings, "maxCount" | "maxBytes">): number {
  let total = 0;
  let kept = 0;
  for (const size of sizesNewestFirst) {
    if (kept >= settings.maxCount || (total + size > settings.maxBytes && kept > 0)) break;
    total += size;
    kept++;
  }
  return kept;
}

const encoder = new TextEncoder();

/** A message's size as every byte budget counts it: its JSON, in UTF-8. */
export const messageBytes = (m: PublicMessage) => encoder.encode(JSON.stringify(m)).byteLength;

/** The newest of `messages` (oldest first) that fit the window's budget. */
export function newestWithin(messages: PublicMessage[], settings: Pick<WindowSettings, "maxCount" | "maxBytes">): PublicMessage[] {
  const sizes = messages.map(messageBytes).reverse();
  return messages.slice(messages.length - countWithin(sizes, settings));
}

/**
 * Adds messages, trims to the newest `keep` (the room counts how many fit the byte budget, at
 * most maxCount) and refreshes the TTL, in one round trip.
 */
export async function appendToWindow(
  redis: Redis,
  code: string,
  channel: Channel,
  messages: PublicMessage[],
  settings: WindowSettings,
  keep = settings.maxCount,
): Promise<void> {
  if (messages.length === 0) return;
  const key = windowKey(code, channel);
  const [first, ...rest] = messages.map((m) => ({ score: m.seq, member: JSON.stringify(m) }));
  const p = redis.multi();
  p.zadd(key, first!, ...rest);
  p.zremrangebyrank(key, 0, -(Math.max(1, Math.min(keep, settings.maxCount)) + 1));
  p.expire(key, settings.ttlSeconds);
  await p.exec();
}

/** A deleted message leaves the window and the pinned set, in one round trip. */
export async function forgetMessage(redis: Redis, code: string, message: { id: string; seq: number; channel: Channel }): Promise<void> {
  const tx = redis.multi();
  tx.zremrangebyscore(windowKey(code, message.channel), message.seq, message.seq);
  tx.zrem(pinnedKey(code), message.id);
  await tx.exec();
}

/**
 * Replaces cached copies of messages whose public form changed (a reply whose
 * parent was deleted), only where the window still holds them: a message
 * already trimmed away must not come back.
 */
export async function refreshCached(redis: Redis, code: string, channel: Channel, messages: PublicMessage[], ttlSeconds: number): Promise<void> {
  if (messages.length === 0) return;
  const key = windowKey(code, channel);
  const oldest = (await redis.zrange<string[]>(key, 0, 0, { withScores: true }))[1];
  if (oldest === undefined) return;
  const inWindow = messages.filter((m) => m.seq >= Number(oldest));
  if (inWindow.length === 0) return;
  const tx = redis.multi();
  for (const m of inWindow) {
    tx.zremrangebyscore(key, m.seq, m.seq);
    tx.zadd(key, { score: m.seq, member: JSON.stringify(m) });
  }
  // Removing a window's only member deletes the key, and the ZADD after makes a new one with no
  // TTL: the window would never expire (`inspect-redis --stats` counts such windows).
  tx.expire(key, ttlSeconds);
  await tx.exec();
}

/** Replaces the whole window with these messages (oldest first) and sets its TTL: cache:rebuild's write. */
export async function replaceWindow(
  redis: Redis,
  code: string,
  channel: Channel,
  messages: PublicMessage[],
  settings: WindowSettings,
): Promise<void> {
  const key = windowKey(code, channel);
  messages = newestWithin(messages, settings);
  const tx = redis.multi();
  tx.del(key);
  // Chunks keep each ZADD a reasonable size; the MULTI keeps the swap atomic for readers.
  for (let i = 0; i < messages.length; i += 100) {
    const [first, ...rest] = messages.slice(i, i + 100).map((m) => ({ score: m.seq, member: JSON.stringify(m) }));
    tx.zadd(key, first!, ...rest);
  }
  if (messages.length > 0) tx.expire(key, settings.ttlSeconds);
  await tx.exec();
}

/** The whole window, oldest first (at most MESSAGE_CACHE_MAX_COUNT messages). */
export async function readWindow(redis: Redis, code: string, channel: Channel): Promise<PublicMessage[]> {
  const members = (await redis.zrange(windowKey(code, channel), 0, -1)) as string[];
  return members.map((m) => JSON.parse(m) as PublicMessage);
}
