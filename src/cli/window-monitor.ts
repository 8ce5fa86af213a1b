// `inspect-redis --monitor --chat CODE`: new members of the room's window as they are
// appended, one line each. Upstash's REST API has no MONITOR and no keyspace events, so
// this asks for members past the last seq seen, twice a second. Reads only.
import type { Redis } from "@upstash/redis";
import { messagesKey } from "../platform/cache-keys";
import { inert } from "../domain/text";
import { oneLine } from "./output";
import type { CachedMessage } from "./room-cache-report";

export const MONITOR_POLL_MS = 500;

/** Prints appends until `until` resolves (Ctrl-C, or --seconds); answers how many it printed. */
export async function monitorWindow(redis: Redis, chat: string, until: Promise<void>, json: boolean): Promise<number> {
  const key = messagesKey(chat);
  const newest = (await redis.zrange(key, -1, -1, { withScores: true })) as unknown[];
  let lastSeq = newest.length > 0 ? Number(newest[1]) : 0;
  let stopped = false;
  void until.then(() => (stopped = true));
  let printed = 0;
  console.log(`Watching ${key} for appends after seq ${lastSeq} (Ctrl-C stops)…`);
  while (!stopped) {
    const added = (await redis.zrange(key, `(${lastSeq}`, "+inf", { byScore: true })) as string[];
    for (const raw of added) {
      const m = JSON.parse(raw) as CachedMessage;
      lastSeq = Math.max(lastSeq, m.seq);
      printed++;
      if (json) console.log(inert(JSON.stringify({ seq: m.seq, created_at: m.created_at, username: m.username, content: m.content }), true));
      else console.log(`${m.seq}  ${m.created_at.replace("T", " ").slice(0, 19)}  ${inert(m.username)}  ${oneLine(m.content ?? "", 80)}`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, MONITOR_POLL_MS)), until]);
  }
  return printed;
}
