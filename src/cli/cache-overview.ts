// Every room Redis holds a window for (`inspect-redis --list`) and the totals
// (`--stats`). Keys are found with SCAN (never KEYS: it blocks the server), and each
// room's numbers come in one pipeline per hundred rooms. Reads only.
import type { Redis } from "@upstash/redis";
import { isRoomCode } from "../domain/room-code";
import { backroomMessagesKey, messagesKey, pinnedKey } from "../platform/cache-keys";
import { memoryOf, ttlOf } from "./room-cache-report";

export interface RoomLine {
  chat: string;
  messages: number;
  backroom: number;
  pinned: number;
  ttl_seconds: number | null;
  approx_bytes: number;
}

export interface CacheStats {
  redis: string;
  keys: number;
  rooms_with_window: number;
  messages_cached: number;
  backroom_windows: number;
  backroom_messages: number;
  pinned_sets: number;
  rate_limit_keys: number;
  windows_without_ttl: number;
  memory: { used_bytes: number | null; windows_approx_bytes: number };
}

/** Every key matching the pattern, SCAN page by page. */
async function scanAll(redis: Redis, match: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | number = "0";
  do {
    const [next, page] = (await redis.scan(cursor, { match, count: 1000 })) as [string | number, string[]];
    keys.push(...page);
    cursor = next;
  } while (String(cursor) !== "0");
  return keys;
}

/** The room codes whose keys exist: chat:{code}:… with a valid code (anything else is not ours). */
async function roomCodes(redis: Redis): Promise<string[]> {
  const codes = new Set<string>();
  for (const key of await scanAll(redis, "chat:*")) {
    const code = key.split(":")[1] ?? "";
    if (isRoomCode(code)) codes.add(code);
  }
  return [...codes].sort();
}

export async function listRooms(redis: Redis): Promise<RoomLine[]> {
  const codes = await roomCodes(redis);
  const lines: RoomLine[] = [];
  for (let i = 0; i < codes.length; i += 100) {
    const chunk = codes.slice(i, i + 100);
    const p = redis.pipeline();
    for (const c of chunk) p.zcard(messagesKey(c)).zcard(backroomMessagesKey(c)).zcard(pinnedKey(c)).ttl(messagesKey(c));
    const answers = (await p.exec()) as number[];
    for (const [j, chat] of chunk.entries()) {
      const [messages, backroom, pinned, ttl] = answers.slice(j * 4, j * 4 + 4) as [number, number, number, number];
      const approx = messages === 0 ? 0 : await memoryOf(redis, messagesKey(chat), async () => 0);
      lines.push({ chat, messages, backroom, pinned, ttl_seconds: messages > 0 ? ttlOf(ttl) : null, approx_bytes: approx });
    }
  }
  return lines.sort((a, b) => b.messages - a.messages || a.chat.localeCompare(b.chat));
}

/** used_memory from INFO where the server answers it (Upstash and Redis do; an embedded engine may not). */
async function usedMemory(redis: Redis): Promise<number | null> {
  try {
    const info = await redis.exec<string>(["INFO", "memory"]);
    const match = /used_memory:(\d+)/.exec(String(info));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export async function cacheStats(redis: Redis, redisUrl: string): Promise<CacheStats> {
  const rooms = await listRooms(redis);
  const withWindow = rooms.filter((r) => r.messages > 0);
  return {
    redis: redisUrl,
    keys: await redis.dbsize(),
    rooms_with_window: withWindow.length,
    messages_cached: rooms.reduce((n, r) => n + r.messages, 0),
    backroom_windows: rooms.filter((r) => r.backroom > 0).length,
    backroom_messages: rooms.reduce((n, r) => n + r.backroom, 0),
    pinned_sets: rooms.filter((r) => r.pinned > 0).length,
    rate_limit_keys: (await scanAll(redis, "ratelimit:*")).length,
    // A window always carries the TTL: one without is a bug or a hand-made key, and never expires.
    windows_without_ttl: withWindow.filter((r) => r.ttl_seconds === null).length,
    memory: { used_bytes: await usedMemory(redis), windows_approx_bytes: rooms.reduce((n, r) => n + r.approx_bytes, 0) },
  };
}
