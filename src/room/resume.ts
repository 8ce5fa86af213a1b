// Resume: a socket that reconnects with last_seq=n (or last_backroom_seq=n)
// first gets the channel's messages with seq > n, in order, then live
// messages, with no gap and no duplicate. A connect's backlog is bounded: when
// more than `maxMessages` were missed, only the newest `maxMessages` come, after
// one `gap` frame naming the seqs left out (the client pages those over REST).
// What Postgres does not have yet comes from the room's log; the rest from the
// Redis window when the window covers n and is known to be complete, from
// Postgres otherwise (a socket just behind the live edge costs no round trip).
// Live messages that arrive while the backlog is read are held for the socket
// and sent after it, skipping any the backlog already carried.
import type { Channel, PublicMessage } from "../protocol";
import { asServedNow } from "../domain/message";
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
  newestSeq(channel: Channel): Promise<number>;
}

export interface Backlog {
  channel: Channel;
  afterSeq: number;
  /** At most this many messages are sent; older missed ones are announced by `gap`. */
  maxMessages: number;
  send(m: PublicMessage): void;
  /** Messages fromSeq..toSeq (inclusive) were missed but are not sent: the client reads them over REST. */
  gap(fromSeq: number, toSeq: number): void;
}

/** Sends the backlog; answers where it came from. */
export async function sendBacklog(deps: BacklogDeps, b: Backlog): Promise<"room" | "redis" | "postgres"> {
  const newest = await deps.newestSeq(b.channel);
  // Seqs have no holes (a deleted message keeps its seq), so this bounds what follows.
  let after = b.afterSeq;
  if (newest - after > b.maxMessages) {
    after = newest - b.maxMessages;
    b.gap(b.afterSeq + 1, after);
  }
  // Read before any await: a row flushed while Postgres is read is then still sent from here.
  const unflushed = deps.log.unflushedAfter(b.channel, after);
  const settled = deps.log.flushedSeq(b.channel);
  const source = after < settled ? await storedBacklog(deps, b, after, settled) : "room";
  for (const m of unflushed) b.send(asServedNow(m));
  return source;
}

/** Messages after `afterSeq` that Postgres has (every seq up to `settled` is there). */
async function storedBacklog(deps: BacklogDeps, b: Backlog, afterSeq: number, settled: number): Promise<"redis" | "postgres"> {
  const fromWindow = await windowBacklog(deps, b.channel, afterSeq, settled);
  if (fromWindow) {
    // Window members carry no counts; Postgres has them.
    const counts = await deps.db.run((conn) => reactionCounts(conn, fromWindow.map((m) => m.id)));
    for (const m of fromWindow) b.send({ ...asServedNow(m), reactions: counts.get(m.id) ?? [] });
    return "redis";
  }
  let after = afterSeq;
  for (;;) {
    const page = await deps.db.run((conn) => messagesAfter(conn, deps.room, { afterSeq: after, limit: PAGE, channel: b.channel }));
    for (const m of page) b.send(m);
    if (page.length < PAGE || page.at(-1)!.seq >= settled) return "postgres";
    after = page.at(-1)!.seq;
  }
}

/** The window's messages after `afterSeq`, or null when the window cannot be trusted to hold them all. */
async function windowBacklog(deps: BacklogDeps, channel: Channel, afterSeq: number, settled: number): Promise<PublicMessage[] | null> {
  if (deps.cacheHealth.stale || !deps.cacheHealth.usable()) return null;
  let window: PublicMessage[];
  try {
    window = await readWindow(deps.redis, deps.room.code, channel);
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
