// The room's send pipeline. Sends queue in arrival order; one batch is
// written at a time, and sends that arrive meanwhile go out together as the
// next batch, so seq order, log order and broadcast order are the same. A
// batch is planned by the pure planBatch from the room's own log (seq,
// client_id retries, reply targets: no Postgres query in the steady state),
// committed to the log in one SQLite transaction, then broadcast and
// answered; the runtime's output gate holds those frames until the write is
// durable. Postgres gets the rows right after, from the flusher (flusher.ts);
// in strict mode (SEND_COMMIT=postgres) the batch waits for that flush before
// it is broadcast. The Redis window is appended after the broadcast, on its
// own serial queue. seq is assigned only when a batch commits, so a refused
// batch leaves no gap.
import { ApiError, dbUnavailable } from "../platform/errors";
import type { SessionClaims } from "../domain/tokens";
import { isDbUnavailable } from "../platform/db";
import { messagesByIds, replyTargets } from "../features/messages/queries";
import { appendToWindow } from "../features/messages/window";
import { rebuildRoomCache } from "../features/messages/cache-rebuild";
import { errorText, logEvent } from "../platform/log";
import type { Metrics } from "../platform/metrics";
import { inSpan } from "../platform/spans";
import type { SendInput } from "../features/messages/schemas";
import { done, refused, type RoomResult } from "../platform/rpc-result";
import type { Channel, PublicMessage } from "../protocol";
import type { SerialQueue } from "./serial-queue";
import type { RoomStores } from "../features/room-stores";
import type { CommitMode } from "../platform/settings";
import { planBatch, retryKeyOf, type Author, type Lookups, type Plan, type PlannedSend } from "./plan-batch";
import type { MessageLog } from "./message-log";
import { DEFERRED_WRITE_GAP_MS, pause, type Flusher } from "./flusher";

export type { Author } from "./plan-batch";
export type SendResult = RoomResult<PublicMessage>;

/** A socket on one of the room's relays, by the relay's index and its name for the socket. */
export interface RelaySocket {
  relay: number;
  socket: string;
}

/** Where a send came from: a socket of the room, a socket on a relay, or REST / the room itself (null). */
export type Origin = WebSocket | RelaySocket | null;

/** The room's own socket a send came from, if it came from one. */
export const roomSocketOf = (origin: Origin): WebSocket | null => (origin && !("relay" in origin) ? origin : null);

/** The relay socket a send came from, if it came from one. */
export const relaySocketOf = (origin: Origin): RelaySocket | null => (origin && "relay" in origin ? origin : null);

/** A stored message and who sent it, handed to the broadcaster. */
export interface Delivery {
  message: PublicMessage;
  clientId: string | null;
  origin: Origin;
  /** A retried send: its stored message goes back to the sender only, as the acknowledgement. */
  onlyAck?: boolean;
}

export const authorOf = (claims: SessionClaims): Author => ({
  participationId: claims.participationId,
  userId: claims.userId,
  username: claims.username,
  usernameIsReserved: claims.usernameIsReserved,
  messageType: claims.isHost ? "host" : "normal",
});

/** System messages announce room events; they belong to no participant. */
export const SYSTEM_USERNAME = "ChatPop";

export const SYSTEM_AUTHOR: Author = {
  participationId: null,
  userId: null,
  username: SYSTEM_USERNAME,
  usernameIsReserved: false,
  messageType: "system",
};

interface Pending extends PlannedSend {
  origin: Origin;
  /** When the room took it (wall clock, for the commit metric). */
  arrivedAt: number;
  resolve(result: SendResult): void;
}

export interface PipelineDeps extends RoomStores {
  /** The room's ordered path: each batch is written in its turn among the room's other writes. */
  writes: SerialQueue;
  /** Redis window appends, in batch order, after the broadcast. */
  cacheWrites: SerialQueue;
  log: MessageLog;
  flusher: Flusher;
  commitMode: CommitMode;
  /** Unflushed messages the room holds at most while Postgres is away; past it, sends are refused. */
  maxUnflushed: number;
  /** A batch was committed to the log: flush it soon, and make sure a sleeping room wakes to flush it. */
  committed(): void;
  /** Each channel (the main room, the back room) has its own pipeline, seq and window. */
  channel: Channel;
  maxBatch: number;
  /** Resolves once the room's storage is seeded (null: it is); throws while Postgres cannot seed it. */
  seeded(): Promise<void> | null;
  broadcast(deliveries: Delivery[]): void;
  /** The room's clock: what a message's created_at says. */
  now(): number;
  metrics: Metrics;
}

const replyNotFound = () => new ApiError(404, "REPLY_NOT_FOUND", "`reply_to_id` names no message of this room.");

export class SendPipeline {
  private queue: Pending[] = [];
  private writing = false;
  /** A drain is due as soon as the frames already received have been read. */
  private drainSoon = false;
  /** Committed messages waiting for the Redis append (non-empty: an append is queued to take them). */
  private toCache: PublicMessage[] = [];
  private lastCacheAt = 0;
  /** The channel's newest created_at (ms): read from the log once, then kept as batches are planned. */
  private newestCreatedAt: number | null | undefined;

  constructor(private readonly deps: PipelineDeps) {}

  /** Queues a validated send; resolves once it is stored and broadcast, or refused. */
  submit(author: Author, input: SendInput, origin: Origin = null): Promise<SendResult> {
    return new Promise((resolve) => {
      this.queue.push({ author, message: input.message, replyToId: input.reply_to_id ?? null, clientId: input.client_id ?? null, origin, resolve, arrivedAt: Date.now() });
      if (!this.writing && !this.drainSoon) {
        // The batch starts after the frames already waiting for the room: sends that arrive
        // together are committed in one transaction and broadcast together.
        this.drainSoon = true;
        setTimeout(() => {
          this.drainSoon = false;
          if (!this.writing) void this.drain();
        }, 0);
      }
    });
  }

  private async drain() {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.deps.maxBatch);
        try {
          await this.deps.writes.run(() => this.write(batch));
        } catch (e) {
          // Nothing of this batch was committed, broadcast or cached.
          const err = e instanceof ApiError ? e : isDbUnavailable(e) ? dbUnavailable() : this.internal(e);
          logEvent("send_batch_failed", { room: this.deps.room.code, count: batch.length, code: err.code });
          for (const p of batch) this.refuse(p, err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** The channel's newest committed seq, from the room's log (which the seed gives one when it has none yet). */
  async newestSeq(): Promise<number> {
    const { log, channel } = this.deps;
    const known = log.lastSeq(channel);
    if (known !== null) return known;
    await this.deps.seeded();
    return log.lastSeq(channel) ?? 0;
  }

  private async write(queued: Pending[]) {
    const { room, channel, log } = this.deps;
    const seq = await this.newestSeq();
    // While Postgres is away the room holds at most maxUnflushed messages; the sends past it are refused.
    const unflushed = log.unflushedCount();
    const batch = queued.slice(0, Math.max(0, this.deps.maxUnflushed - unflushed));
    if (batch.length < queued.length) {
      logEvent("send_refused_backlog_full", { room: room.code, unflushed, refused: queued.length - batch.length });
      for (const p of queued.slice(batch.length)) this.refuse(p, dbUnavailable());
      if (batch.length === 0) return;
    }
    const plan = planBatch(batch, await this.lookups(batch), seq, {
      room,
      channel,
      now: new Date(this.deps.now()),
      newestCreatedAt: (this.newestCreatedAt ??= log.newestCreatedAt(channel)),
      newId: () => crypto.randomUUID(),
      replyNotFound,
    });
    // A batch that is rolled back leaves this ahead of the log: harmless, times only have to grow.
    this.newestCreatedAt = plan.accepted.at(-1)?.row.fields.createdAt.getTime() ?? this.newestCreatedAt;
    await this.commit(plan, seq);
    if (plan.retries.length > 0) logEvent("send_retries_acknowledged", { room: room.code, count: plan.retries.length });
  }

  /** What the plan depends on, from the room's log; Postgres only for what the log no longer holds (old messages). */
  private async lookups(batch: Pending[]): Promise<Lookups> {
    const { log, channel, room } = this.deps;
    const keys = batch.flatMap((p) => retryKeyOf(p) ?? []);
    const earlier = log.sentEarlier(keys);
    const replyIds = [...new Set(batch.flatMap((p) => (p.replyToId ? [p.replyToId] : [])))];
    const targets = log.replyTargets(channel, replyIds);
    const pruned = [...earlier.values()].flatMap((e) => (e.message ? [] : [e.id]));
    if (targets.unknown.length > 0 || pruned.length > 0) {
      const older = await this.deps.db.run(async (conn) => ({
        targets: await replyTargets(conn, room.id, channel, targets.unknown),
        messages: await messagesByIds(conn, room.code, pruned),
      }));
      for (const [id, snapshot] of older.targets) targets.found.set(id, snapshot);
      for (const e of earlier.values()) if (!e.message) e.message = older.messages.get(e.id) ?? null;
    }
    const sentEarlier = new Map<string, PublicMessage>();
    for (const [key, e] of earlier) if (e.message) sentEarlier.set(key, e.message);
    return { replyTargets: targets.found, sentEarlier };
  }

  /**
   * Commits the plan's new messages to the room's log (and, in strict mode, to
   * Postgres), broadcasts in seq order, answers every send, then queues the
   * Redis append.
   */
  private async commit(plan: Plan<Pending>, seqBefore: number) {
    const { room, channel, log } = this.deps;
    for (const { send, error } of plan.refused) this.refuse(send, error);
    let accepted = plan.accepted;
    if (accepted.length > 0) {
      inSpan("room.commit", { room: room.code, channel, messages: accepted.length }, () =>
        log.append(
          channel,
          accepted.map(({ send, row }) => ({
            id: row.fields.id,
            channel,
            seq: row.fields.seq,
            message: row.message,
            retryKey: retryKeyOf(send),
            row: { ...row.fields, chatRoomId: room.id, participationId: row.participationId, replyToId: row.replyToId, clientId: row.clientId },
          })),
          plan.lastSeq,
          this.deps.now(),
        ),
      );
      this.deps.metrics.write({ kind: "commit", room: room.code, channel, messages: accepted.length, commit_ms: Date.now() - accepted[0]!.send.arrivedAt, unflushed: log.unflushedCount() });
      if (this.deps.commitMode === "postgres") accepted = await this.flushedPart(accepted, seqBefore);
    }
    const answered = [
      ...accepted.map(({ send, row }) => ({ send, message: row.message, retry: false })),
      ...plan.retries.map(({ send, message }) => ({ send, message, retry: true })),
    ];
    inSpan("room.broadcast", { room: room.code, channel, messages: answered.length }, () =>
      this.deps.broadcast(
        answered.map(({ send, message, retry }) => ({
          message,
          clientId: send.clientId,
          origin: send.origin,
          ...(retry ? { onlyAck: true } : {}),
        })),
      ),
    );
    for (const { send, message } of answered) {
      send.resolve(done(send.clientId ? { ...message, client_id: send.clientId } : message));
    }
    // What can wait comes after the broadcast: the flush to Postgres and the Redis append.
    if (accepted.length > 0) {
      if (this.deps.commitMode === "room") this.deps.committed();
      const appendQueued = this.toCache.length > 0;
      this.toCache.push(...accepted.map(({ row }) => row.message));
      if (!appendQueued) void this.deps.cacheWrites.run(() => this.cacheQueuedMessages());
    }
  }

  /**
   * One Redis append for every batch committed since the last one ran: under load the appends
   * never queue up behind each other (one call at a time, each carrying what arrived meanwhile).
   */
  private async cacheQueuedMessages() {
    await pause(this.lastCacheAt + DEFERRED_WRITE_GAP_MS - this.deps.now());
    this.lastCacheAt = this.deps.now();
    await this.cache(this.toCache.splice(0));
  }

  /**
   * Strict mode: waits until Postgres has the batch. Postgres takes rows in log
   * order, so what it took is a prefix of the batch; the rest is taken back from
   * the log (seq returns to the last stored row) and refused.
   * A row Postgres rejected outright is refused too: it was never broadcast.
   */
  private async flushedPart(accepted: Plan<Pending>["accepted"], seqBefore: number): Promise<Plan<Pending>["accepted"]> {
    const { log, channel } = this.deps;
    let failure: ApiError | null = null;
    try {
      await this.deps.flusher.flushAll();
    } catch (e) {
      failure = isDbUnavailable(e) ? dbUnavailable() : this.internal(e);
    }
    const stored: Plan<Pending>["accepted"] = [];
    const notStored: Plan<Pending>["accepted"] = [];
    for (const a of accepted) (!failure || !log.isUnflushed(a.row.fields.id) ? stored : notStored).push(a);
    if (notStored.length > 0) {
      log.rollback(channel, notStored.map((a) => a.row.fields.id), stored.at(-1)?.row.fields.seq ?? seqBefore);
      for (const { send } of notStored) this.refuse(send, failure!);
    }
    const rejected = new Set(log.rejectedAmong(stored.map((a) => a.row.fields.id)));
    for (const a of stored) if (rejected.has(a.row.fields.id)) this.refuse(a.send, this.internal(new Error("Postgres refused the row")));
    return stored.filter((a) => !rejected.has(a.row.fields.id));
  }

  /**
   * Adds committed messages to the Redis window. The room's log has them, so
   * a failure is logged, not returned; while Redis is failing it is not
   * called, and once it answers again the room's Redis state is rebuilt from
   * Postgres (after flushing, so it includes these messages) rather than
   * appended to.
   */
  private async cache(messages: PublicMessage[]) {
    const { cacheHealth: health, room } = this.deps;
    await health.write(
      async () => {
        if (health.stale) {
          await this.deps.flusher.flushAll();
          const report = await this.deps.db.run((conn) => rebuildRoomCache(conn, this.deps.redis, room, this.deps.window));
          health.repaired();
          logEvent("cache_rebuilt", { room: room.code, messages: report.windows.reduce((n, w) => n + w.after, 0) });
        } else {
          const { maxCount, maxBytes } = this.deps.window;
          const keep = this.deps.log.newestFitting(this.deps.channel, maxCount, maxBytes);
          const started = Date.now();
          await appendToWindow(this.deps.redis, room.code, this.deps.channel, messages, this.deps.window, keep);
          this.deps.metrics.write({ kind: "cache", room: room.code, channel: this.deps.channel, messages: messages.length, append_ms: Date.now() - started });
        }
      },
      (e) => logEvent("cache_write_failed", { room: room.code, count: messages.length, error: errorText(e) }),
    );
  }

  /** Answers a send with its refusal, counted for the metrics by code. */
  private refuse(send: Pending, error: ApiError) {
    this.deps.metrics.refused(this.deps.room.code, error.code);
    send.resolve(refused(error));
  }

  private internal(e: unknown): ApiError {
    logEvent("send_failed", { room: this.deps.room.code, error: errorText(e) });
    return new ApiError(500, "INTERNAL_ERROR", "The message could not be stored; try again.");
  }
}
