// Resume: a socket that reconnects with last_seq=n first gets every message
// with seq > n, in order, then live messages, with no gap and no duplicate.
// What Postgres does not have yet comes from the room's log; the rest from
// the Redis window when the window covers n and is known to be complete,
// from Postgres otherwise (a socket just behind the live edge costs no round
// trip at all). Live messages that arrive
// while the backlog is read are held for the socket and sent after it,
// skipping any the backlog already carried.
import type { PublicMessage } from "../protocol";
import type { Redis } from "@upstash/redis/cloudflare";
import { messagesAfter } from "../features/messages/queries";
import { reactionCounts } from "../features/messages/reaction-queries";
import { readWindow } from "../features/messages/window";
import type { CacheHealth } from "../platform/cache-health";
import type { RoomDb } from "../platform/room-db";
import type { MessageLog } from "./message-log";

const PAGE = 500;

export interface BacklogDeps {
  room: { id: string; code: string };
  db: RoomDb;
  redis: Redis;
  cacheHealth: CacheHealth;
  log: MessageLog;
  /** The channel's newest committed seq (read from Postgres once for a room whose log is new). */
  newestSeq(): Promise<number>;
}

/** Calls `send` for each message after `afterSeq`, oldest first; answers where it got them from. */
export async function sendBacklog(
  deps: BacklogDeps,
  afterSeq: number,
  send: (m: PublicMessage) => void,
): Promise<"room" | "redis" | "postgres"> {
  await deps.newestSeq();
  // Read before any await: a row flushed while Postgres is read is then still sent from here.
  const unflushed = deps.log.unflushedAfter("main", afterSeq);
  const settled = deps.log.flushedSeq("main");
  const source = afterSeq < settled ? await storedBacklog(deps, afterSeq, settled, send) : "room";
  for (const m of unflushed) send(m);
  return source;
}

/** Messages after `afterSeq` that Postgres has (every seq up to `settled` is there). */
async function storedBacklog(
  deps: BacklogDeps,
  afterSeq: number,
  settled: number,
  send: (m: PublicMessage) => void,
): Promise<"redis" | "postgres"> {
  const fromWindow = await windowBacklog(deps, afterSeq, settled);
  if (fromWindow) {
    // Window members carry no counts; Postgres has them.
    const counts = await deps.db.run((conn) => reactionCounts(conn, fromWindow.map((m) => m.id)));
    for (const m of fromWindow) send({ ...m, reactions: counts.get(m.id) ?? [] });
    return "redis";
  }
  let after = afterSeq;
  for (;;) {
    const page = await deps.db.run((conn) => messagesAfter(conn, deps.room, { afterSeq: after, limit: PAGE, channel: "main" }));
    for (const m of page) send(m);
    if (page.length < PAGE) return "postgres";
    after = page.at(-1)!.seq;
  }
}

/** The window's messages after `afterSeq`, or null when the window cannot be trusted to hold them all. */
async function windowBacklog(deps: BacklogDeps, afterSeq: number, settled: number): Promise<PublicMessage[] | null> {
  if (deps.cacheHealth.stale || !deps.cacheHealth.usable()) return null;
  let window: PublicMessage[];
  try {
    window = await readWindow(deps.redis, deps.room.code, "main");
  } catch {
    deps.cacheHealth.failed();
    return null;
  }
  const first = window[0];
  if (!first || first.seq > afterSeq + 1) return null;
  // The window must reach the newest message Postgres has, or it missed writes (it is appended after the broadcast).
  if (window.at(-1)!.seq < settled) return null;
  return window.filter((m) => m.seq > afterSeq);
}
