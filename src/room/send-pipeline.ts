// The room's send pipeline. Sends queue in arrival order; one batch is written
// at a time, and sends that arrive meanwhile go out together as the next batch
// (one multi-row INSERT, one Redis round trip), so seq order, storage order and
// broadcast order are the same. A batch reads what it depends on (one round
// trip), is planned by the pure planBatch, then committed: INSERT, Redis
// window, broadcast, answers. seq is assigned only when a batch is written, so
// a batch that fails leaves no gap.
import type { Redis } from "@upstash/redis/cloudflare";
import { ApiError, dbUnavailable } from "../platform/errors";
import type { RoomRef } from "../domain/room-code";
import type { SessionClaims } from "../domain/tokens";
import { isDbUnavailable, isUniqueViolation } from "../platform/db";
import { existingIds, insertMessages, lastSeq, replyTargets, sentEarlier } from "../features/messages/queries";
import { appendToWindow, type WindowSettings } from "../features/messages/window";
import { rebuildRoomCache } from "../features/messages/cache-rebuild";
import type { CacheHealth } from "../platform/cache-health";
import { errorText, logEvent } from "../platform/log";
import type { SendInput } from "../features/messages/schemas";
import { done, refused, type RoomResult } from "../platform/rpc-result";
import type { RoomDb } from "../platform/room-db";
import type { Channel, PublicMessage } from "../protocol";
import type { Lane } from "./lane";
import { planBatch, retryKeyOf, type Author, type Plan, type PlannedSend } from "./plan-batch";

export type { Author } from "./plan-batch";
export type SendResult = RoomResult<PublicMessage>;

/** A stored message and who sent it, handed to the broadcaster. */
export interface Delivery {
  message: PublicMessage;
  clientId: string | null;
  origin: WebSocket | null;
  /** A retried send: its stored message goes back to the sender only, as the acknowledgement. */
  onlyToOrigin?: boolean;
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
  origin: WebSocket | null;
  resolve(result: SendResult): void;
}

export interface PipelineDeps {
  room: RoomRef;
  /** The room's ordered path: each batch is written in its turn among the room's other writes. */
  lane: Lane;
  /** Each channel (the main room, the back room) has its own pipeline, seq and window. */
  channel: Channel;
  db: RoomDb;
  redis: Redis;
  window: WindowSettings;
  maxBatch: number;
  /** Shared by the room's pipelines and actions: skips Redis while it is failing, rebuilds it after. */
  cacheHealth: CacheHealth;
  broadcast(deliveries: Delivery[]): void;
}

const replyNotFound = () => new ApiError(404, "REPLY_NOT_FOUND", "`reply_to_id` names no message of this room.");

export class SendPipeline {
  private queue: Pending[] = [];
  private writing = false;
  /** The channel's newest stored seq; null until read from Postgres (after a wake or a failed write). */
  private seq: number | null = null;

  constructor(private readonly deps: PipelineDeps) {}

  /** Queues a validated send; resolves once it is stored and broadcast, or refused. */
  submit(author: Author, input: SendInput, origin: WebSocket | null = null): Promise<SendResult> {
    return new Promise((resolve) => {
      this.queue.push({ author, message: input.message, replyToId: input.reply_to_id ?? null, clientId: input.client_id ?? null, origin, resolve });
      if (!this.writing) void this.drain();
    });
  }

  private async drain() {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.deps.maxBatch);
        try {
          await this.deps.lane.run(() => this.write(batch));
        } catch (e) {
          // Nothing of this batch was cached or broadcast; re-read seq before the next write.
          this.seq = null;
          const err = e instanceof ApiError ? e : isDbUnavailable(e) ? dbUnavailable() : this.internal(e);
          logEvent("send_batch_failed", { room: this.deps.room.code, count: batch.length, code: err.code });
          for (const p of batch) p.resolve(refused(err));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: Pending[]) {
    const started = Date.now();
    const { room, channel } = this.deps;
    const replyIds = [...new Set(batch.flatMap((p) => (p.replyToId ? [p.replyToId] : [])))];
    const keyed = batch.flatMap((p) => (retryKeyOf(p) ? [{ participationId: p.author.participationId!, clientId: p.clientId! }] : []));
    const { lookups, seq } = await this.deps.db.run(async (conn) => ({
      lookups: {
        replyTargets: await replyTargets(conn, room.id, channel, replyIds),
        sentEarlier: await sentEarlier(conn, room.id, room.code, keyed),
      },
      seq: this.seq ?? (await lastSeq(conn, room.id, channel)),
    }));
    this.seq = seq;
    const plan = planBatch(batch, lookups, seq, { room, channel, now: new Date(), newId: () => crypto.randomUUID(), replyNotFound });
    await this.commit(plan);
    if (plan.accepted.length > 0) {
      logEvent("messages_stored", { room: room.code, count: plan.accepted.length, last_seq: plan.lastSeq, ms: Date.now() - started });
    }
    if (plan.retries.length > 0) logEvent("send_retries_acknowledged", { room: room.code, count: plan.retries.length });
  }

  /** Stores the plan's new messages, adds them to the Redis window, broadcasts in seq order and answers every send. */
  private async commit(plan: Plan<Pending>) {
    for (const { send, error } of plan.refused) send.resolve(refused(error));
    if (plan.accepted.length > 0) {
      const rows = plan.accepted.map(({ row }) => ({
        ...row.fields,
        chatRoomId: this.deps.room.id,
        participationId: row.participationId,
        replyToId: row.replyToId,
        clientId: row.clientId,
      }));
      try {
        await this.deps.db.run((conn) => insertMessages(conn, rows));
      } catch (e) {
        // A retried INSERT whose first attempt did commit collides with itself: that is success.
        if (!isUniqueViolation(e) || !(await this.allStored(rows.map((r) => r.id)))) throw e;
      }
      this.seq = plan.lastSeq;
      await this.cache(plan.accepted.map(({ row }) => row.message));
    }
    const answered = [
      ...plan.accepted.map(({ send, row }) => ({ send, message: row.message, retry: false })),
      ...plan.retries.map(({ send, message }) => ({ send, message, retry: true })),
    ];
    this.deps.broadcast(
      answered.map(({ send, message, retry }) => ({
        message,
        clientId: send.clientId,
        origin: send.origin,
        ...(retry ? { onlyToOrigin: true } : {}),
      })),
    );
    for (const { send, message } of answered) {
      send.resolve(done(send.clientId ? { ...message, client_id: send.clientId } : message));
    }
  }

  /**
   * Adds stored messages to the Redis window. Postgres has them, so a failure
   * is logged, not returned; while Redis is failing it is not called, and once
   * it answers again the room's Redis state is rebuilt from Postgres (which
   * includes these messages) rather than appended to.
   */
  private async cache(messages: PublicMessage[]) {
    const { cacheHealth: health, room } = this.deps;
    await health.write(
      async () => {
        if (health.stale) {
          const report = await this.deps.db.run((conn) => rebuildRoomCache(conn, this.deps.redis, room, this.deps.window));
          health.repaired();
          logEvent("cache_rebuilt", { room: room.code, messages: report.windows.reduce((n, w) => n + w.after, 0) });
        } else {
          await appendToWindow(this.deps.redis, room.code, this.deps.channel, messages, this.deps.window);
        }
      },
      (e) => logEvent("cache_write_failed", { room: room.code, count: messages.length, error: errorText(e) }),
    );
  }

  private async allStored(ids: string[]): Promise<boolean> {
    return (await this.deps.db.run((conn) => existingIds(conn, ids))) === ids.length;
  }

  private internal(e: unknown): ApiError {
    logEvent("send_failed", { room: this.deps.room.code, error: errorText(e) });
    return new ApiError(500, "INTERNAL_ERROR", "The message could not be stored; try again.");
  }
}
