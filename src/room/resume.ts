// Resume: a socket that reconnects with last_seq=n (or last_backroom_seq=n)
// first gets the channel's messages with seq > n, in order, then live
// messages, with no gap and no duplicate. A connect's backlog is bounded: when
// more than `maxCount` messages or `maxBytes` of them were missed, only the
// newest that fit come, after one `gap` frame naming the seqs left out (the
// client pages those over REST). A relay reads its sockets' backlogs from the
// room in pages (backlogPage), so no answer between objects grows with it.
// The room's log serves every message it still holds (the newest LOG_RETAIN_ROWS,
// flushed or not) with the reaction counts the room keeps for them, so a resume
// needs no store, Postgres away or not; older
// ones come from the Redis window when it covers n and is known to be
// complete, from Postgres otherwise.
// Live messages that arrive while the backlog is read are held for the socket
// and sent after it, skipping any the backlog already carried.
import { gapFrame, messageFrame, type Channel, type PublicMessage, type ReactionCount } from "../protocol";
import { logEvent } from "../platform/log";
import { encodeCursor } from "../domain/cursor";
import { ApiError, dbUnavailable } from "../platform/errors";
import { isDbUnavailable } from "../platform/db";
import { safeSend } from "./socket-host";
import { asServedNow } from "../domain/message";
import { messagesAfter } from "../features/messages/queries";
import { reactionCounts } from "../features/messages/reaction-queries";
import { readWindow } from "../features/messages/window";
import type { MessageLog } from "./message-log";
import type { RoomStores } from "../features/room-stores";
import type { BacklogAnswer } from "./relay-protocol";
import { messageBytes, newestWithin } from "../features/messages/window";

const PAGE = 500;

/** What one resume may send at most: the window's count, and a byte budget (RESUME_MAX_BYTES). */
export interface BacklogBounds {
  maxCount: number;
  maxBytes: number;
}

/** A relay's page of a backlog: about this many bytes of messages (at least one message). */
export const RELAY_PAGE_BYTES = 64 * 1024;

export interface BacklogDeps extends Pick<RoomStores, "room" | "db" | "redis" | "cacheHealth"> {
  log: MessageLog;
  /** The channel's newest committed seq (read from Postgres once for a room whose log is new). */
  newestSeq(channel: Channel): Promise<number>;
}

export interface Backlog {
  channel: Channel;
  afterSeq: number;
  /** At most this many messages are sent; older missed ones are announced by `gap`. */
  maxMessages: number;
  /** Only messages up to this seq (the rest of a backlog already bounded; no gap then). */
  untilSeq?: number;
  send(m: PublicMessage): void;
  /** Messages fromSeq..toSeq (inclusive) were missed but are not sent: the client reads them over REST. */
  gap(fromSeq: number, toSeq: number): void;
}

/** Sends the backlog; answers where it came from. */
export async function sendBacklog(deps: BacklogDeps, b: Backlog): Promise<"room" | "redis" | "postgres"> {
  const newest = Math.min(await deps.newestSeq(b.channel), b.untilSeq ?? Infinity);
  // Seqs have no holes (a deleted message keeps its seq), so this bounds what follows.
  let after = b.afterSeq;
  if (newest - after > b.maxMessages) {
    after = newest - b.maxMessages;
    b.gap(b.afterSeq + 1, after);
  }
  // Read before any await: a row flushed while Postgres is read is then still sent from here.
  const unflushed = deps.log.unflushedAfter(b.channel, after).filter((m) => m.seq <= newest);
  const flushedUpTo = Math.min(deps.log.flushedSeq(b.channel), newest);
  const source = after < flushedUpTo ? await storedBacklog(deps, b, after, flushedUpTo) : "room";
  for (const m of unflushed) b.send(asServedNow(m));
  return source;
}

/**
 * Messages after `afterSeq` that Postgres has (every seq up to `flushedUpTo` is there): from the
 * room's log while it still holds them (so a resume needs neither Redis nor Postgres for its
 * messages), else the Redis window, else Postgres.
 */
async function storedBacklog(deps: BacklogDeps, b: Backlog, afterSeq: number, flushedUpTo: number): Promise<"room" | "redis" | "postgres"> {
  const fromLog = deps.log.flushedBetween(b.channel, afterSeq, flushedUpTo);
  if (fromLog) {
    const counts = await reactionCountsIfReachable(deps, fromLog.filter((k) => k.reactions === null).map((k) => k.message));
    for (const k of fromLog) b.send({ ...asServedNow(k.message), reactions: k.reactions ?? counts.get(k.message.id) ?? [] });
    return "room";
  }
  const fromWindow = await windowBacklog(deps, b.channel, afterSeq, flushedUpTo);
  if (fromWindow) {
    const counts = await reactionCountsIfReachable(deps, fromWindow);
    for (const m of fromWindow) b.send({ ...asServedNow(m), reactions: counts.get(m.id) ?? [] });
    return "redis";
  }
  let after = afterSeq;
  for (;;) {
    const page = await deps.db.run((conn) => messagesAfter(conn, deps.room, { afterSeq: after, limit: PAGE, channel: b.channel }));
    for (const m of page) if (m.seq <= flushedUpTo) b.send(m);
    if (page.length < PAGE || page.at(-1)!.seq >= flushedUpTo) return "postgres";
    after = page.at(-1)!.seq;
  }
}

/**
 * Reaction counts of messages the room did not keep them for (the window's, and log rows older
 * than the room's own counts) are read from Postgres. While Postgres is
 * away the messages still go, without counts: a resume with no gap matters more than counts,
 * which the next `reaction` frame brings anyway.
 */
async function reactionCountsIfReachable(deps: BacklogDeps, messages: PublicMessage[]): Promise<Map<string, ReactionCount[]>> {
  if (messages.length === 0) return new Map();
  try {
    return await deps.db.run((conn) => reactionCounts(conn, messages.map((m) => m.id)));
  } catch (e) {
    if (!isDbUnavailable(e)) throw e;
    logEvent("resume_without_reaction_counts", { room: deps.room.code, messages: messages.length });
    return new Map();
  }
}

/** The window's messages after `afterSeq`, or null when the window cannot be trusted to hold them all. */
async function windowBacklog(deps: BacklogDeps, channel: Channel, afterSeq: number, flushedUpTo: number): Promise<PublicMessage[] | null> {
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
  if (window.at(-1)!.seq < flushedUpTo) return null;
  return window.filter((m) => m.seq > afterSeq && m.seq <= flushedUpTo);
}

/** What a socket is told when its backlog cannot be read: a refusal as it came, Postgres away, or a plain failure. */
export function resumeError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (isDbUnavailable(e)) return dbUnavailable();
  return new ApiError(500, "RESUME_FAILED", "The missed messages could not be loaded; reconnect to try again.");
}

/**
 * The backlog as one answer, for a relay's socket or the room's own: the newest messages after
 * `afterSeq` within the bounds (count and bytes); what they leave out is the gap.
 */
export async function collectBacklog(deps: BacklogDeps, channel: Channel, afterSeq: number, bounds: BacklogBounds): Promise<BacklogAnswer & { source: string }> {
  const answer: BacklogAnswer = { gap: null, messages: [] };
  const source = await sendBacklog(deps, {
    channel,
    afterSeq,
    maxMessages: bounds.maxCount,
    send: (m) => answer.messages.push(m),
    gap: (from_seq, to_seq) => (answer.gap = { from_seq, to_seq }),
  });
  // The byte budget, by the window's own rule: the newest that fit; older ones join the gap.
  const kept = newestWithin(answer.messages, bounds);
  if (kept.length < answer.messages.length) {
    const lastLeftOut = answer.messages[answer.messages.length - kept.length - 1]!.seq;
    answer.gap = { from_seq: answer.gap?.from_seq ?? afterSeq + 1, to_seq: lastLeftOut };
    answer.messages = kept;
  }
  return { ...answer, source };
}

/**
 * One page of a relay socket's backlog. The first page (`untilSeq` null) decides the whole
 * backlog (bounds, gap) and says up to which seq it goes; later pages read on from the last
 * message sent, up to that seq. A page is about RELAY_PAGE_BYTES, and at least one message.
 */
export async function backlogPage(
  deps: BacklogDeps,
  channel: Channel,
  afterSeq: number,
  untilSeq: number | null,
  bounds: BacklogBounds,
): Promise<BacklogAnswer> {
  let backlog: BacklogAnswer;
  if (untilSeq === null) backlog = await collectBacklog(deps, channel, afterSeq, bounds);
  else {
    const rest: PublicMessage[] = [];
    await sendBacklog(deps, { channel, afterSeq, untilSeq, maxMessages: Math.max(0, untilSeq - afterSeq), send: (m) => rest.push(m), gap: () => {} });
    backlog = { gap: null, messages: rest };
  }
  let bytes = 0;
  let n = 0;
  for (const m of backlog.messages) {
    bytes += messageBytes(m);
    if (n > 0 && bytes > RELAY_PAGE_BYTES) break;
    n++;
  }
  const more = n < backlog.messages.length;
  return { gap: backlog.gap, messages: backlog.messages.slice(0, n), until: more ? backlog.messages.at(-1)!.seq : null };
}

/** A live frame for a socket that is reading its backlog: sent after it, unless the backlog carried its seq. */
interface Held {
  seq: number;
  frame: string;
}

/**
 * Sockets reading their resume backlog, per channel. Live messages wait here while the backlog
 * is read, then follow it, so a resumed socket sees every seq once and in order.
 */
export class CatchUp {
  private readonly sockets: Record<Channel, Map<WebSocket, Held[]>> = { main: new Map(), backroom: new Map() };

  /** The socket starts catching up: its live messages of the channel are held from now on. */
  start(ws: WebSocket, channel: Channel): void {
    this.sockets[channel].set(ws, []);
  }

  /** Holds a live message for a socket that is catching up; false when the socket is live (send it now). */
  hold(ws: WebSocket, channel: Channel, seq: number, frame: string): boolean {
    const held = this.sockets[channel].get(ws);
    if (!held) return false;
    held.push({ seq, frame });
    return true;
  }

  /**
   * Sends the backlog `load` reads (a `gap` frame first when it left messages out), then what was
   * held meanwhile, skipping seqs already sent. A failed load sends `failure(e)` and the held frames.
   */
  async run(
    ws: WebSocket,
    channel: Channel,
    afterSeq: number,
    load: () => Promise<BacklogAnswer>,
    failure: (e: unknown) => string,
  ): Promise<number> {
    let sentUpTo = afterSeq;
    const send = (seq: number, frame: string) => {
      if (seq <= sentUpTo) return;
      safeSend(ws, frame);
      sentUpTo = seq;
    };
    try {
      const backlog = await load();
      if (backlog.gap) {
        const { from_seq, to_seq } = backlog.gap;
        safeSend(ws, gapFrame({ channel, from_seq, to_seq, before: encodeCursor(to_seq + 1) }));
        sentUpTo = to_seq;
      }
      for (const m of backlog.messages) send(m.seq, messageFrame(m));
    } catch (e) {
      safeSend(ws, failure(e));
    } finally {
      const held = this.sockets[channel].get(ws) ?? [];
      this.sockets[channel].delete(ws);
      for (const h of held) send(h.seq, h.frame);
    }
    return sentUpTo;
  }
}

/** The connect parameters that resume each channel (the back room for its members and the host only). */
const RESUME_PARAMS: [Channel, string][] = [
  ["main", "last_seq"],
  ["backroom", "last_backroom_seq"],
];

/** The channels an upgrade asks to resume, and from which seq; a malformed one is an error for the socket. */
export function resumeParams(url: URL): ({ channel: Channel; lastSeq: number } | { error: ApiError })[] {
  const asked = [];
  for (const [channel, param] of RESUME_PARAMS) {
    const lastSeq = url.searchParams.get(param);
    if (lastSeq === null) continue;
    if (!/^\d{1,9}$/.test(lastSeq)) {
      asked.push({ error: new ApiError(400, "INVALID_LAST_SEQ", `\`${param}\` must be a whole number: the seq of the last message you have.`) });
    } else asked.push({ channel, lastSeq: Number(lastSeq) });
  }
  return asked;
}
