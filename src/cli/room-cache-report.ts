// One room's Redis state as `npm run inspect-redis -- --chat CODE` reports it: the
// message window (count, seq range, TTL, approximate memory), pinned entries and
// the back-room window; with --show-messages, the newest cached messages. Reads only.
import type { Redis } from "@upstash/redis";
import { inert } from "../domain/text";
import { backroomMessagesKey, messagesKey, pinnedKey } from "../platform/cache-keys";
import { bytes, duration } from "./settings";
import { oneLine, printTable } from "./output";

export interface CachedMessage {
  seq: number;
  created_at: string;
  username: string;
  content: string;
}

export interface RoomCacheReport {
  chat: string;
  redis: string;
  messages: {
    key: string;
    count: number;
    seq_min: number | null;
    seq_max: number | null;
    ttl_seconds: number | null;
    approx_bytes: number;
    shown?: CachedMessage[];
  };
  pinned: { key: string; entries: { message_id: string; pinned_until: string; seconds_left: number }[] };
  backroom: { key: string; count: number };
  approx_bytes_total: number;
}

/** RESP2 pairs [member, score, member, score…] as tuples. */
export function pairs(flat: unknown[]): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), Number(flat[i + 1])]);
  return out;
}

export const ttlOf = (ttl: number) => (ttl >= 0 ? ttl : null);

/** MEMORY USAGE where the server has it; otherwise the size of the values, which is close enough to compare rooms. */
export async function memoryOf(redis: Redis, key: string, fallback: () => Promise<number>): Promise<number> {
  try {
    const n = await redis.exec<number | null>(["MEMORY", "USAGE", key]);
    if (typeof n === "number") return n;
  } catch {
    // not supported by this server: estimate below
  }
  return fallback();
}

export async function inspectRoom(redis: Redis, redisUrl: string, chat: string, opts: { show: boolean; limit: number }): Promise<RoomCacheReport> {
  const key = messagesKey(chat);
  const [count, first, last, ttl] = await Promise.all([
    redis.zcard(key),
    redis.zrange(key, 0, 0, { withScores: true }) as Promise<unknown[]>,
    redis.zrange(key, -1, -1, { withScores: true }) as Promise<unknown[]>,
    redis.ttl(key),
  ]);
  const messageBytes = count === 0 ? 0 : await memoryOf(redis, key, async () => {
    const members = (await redis.zrange(key, 0, -1)) as string[];
    return members.reduce((n, m) => n + Buffer.byteLength(m) + 16, 0);
  });
  let shown: CachedMessage[] | undefined;
  if (opts.show) {
    const newest = (await redis.zrange(key, -opts.limit, -1)) as string[];
    shown = newest.map((m) => {
      const parsed = JSON.parse(m) as CachedMessage;
      return { seq: parsed.seq, created_at: parsed.created_at, username: parsed.username, content: parsed.content };
    });
  }

  const pinned = pairs((await redis.zrange(pinnedKey(chat), 0, -1, { withScores: true })) as unknown[]).map(([id, until]) => ({
    message_id: id,
    pinned_until: new Date(until).toISOString(),
    seconds_left: Math.max(0, Math.round((until - Date.now()) / 1000)),
  }));
  const backroomCount = await redis.zcard(backroomMessagesKey(chat));

  return {
    chat,
    redis: redisUrl,
    messages: {
      key,
      count,
      seq_min: count > 0 ? Number(first[1]) : null,
      seq_max: count > 0 ? Number(last[1]) : null,
      ttl_seconds: count > 0 ? ttlOf(ttl) : null,
      approx_bytes: messageBytes,
      ...(shown ? { shown } : {}),
    },
    pinned: { key: pinnedKey(chat), entries: pinned },
    backroom: { key: backroomMessagesKey(chat), count: backroomCount },
    approx_bytes_total: messageBytes + pinned.length * 64,
  };
}

export function printReport(r: RoomCacheReport) {
  const m = r.messages;
  console.log(`Room ${r.chat} in Redis at ${r.redis}`);
  console.log(`  messages   ${m.key}`);
  console.log(`             ${m.count} cached, seq ${m.seq_min ?? "-"}–${m.seq_max ?? "-"}, TTL ${m.ttl_seconds === null ? "none" : duration(m.ttl_seconds)}, ~${bytes(m.approx_bytes)}`);
  console.log(`  pinned     ${r.pinned.key}: ${r.pinned.entries.length} ${r.pinned.entries.length === 1 ? "entry" : "entries"}`);
  for (const p of r.pinned.entries) console.log(`             ${p.message_id}  ${duration(p.seconds_left)} left`);
  console.log(`  back room  ${r.backroom.key}: ${r.backroom.count} cached`);
  console.log(`  memory     ~${bytes(r.approx_bytes_total)} in all (approximate)`);
  if (m.shown) {
    console.log("");
    const rows = m.shown.map((s) => [String(s.seq), s.created_at.replace("T", " ").slice(0, 19), inert(s.username), oneLine(s.content, 60)]);
    printTable(["seq", "time (UTC)", "username", "content"], rows);
  }
}
