// The room's send pipeline, in the seed's order:
//   validate → INSERT into Postgres → add to the Redis window → broadcast.
// Sends queue in arrival order. One batch is written at a time; sends that
// arrive meanwhile wait and go out together as the next batch (one multi-row
// INSERT, one Redis round trip), so seq order, storage order and broadcast
// order are the same. seq is assigned only when a batch is written, so a
// batch that fails leaves no gap.
import type { Channel, MessageType, PublicMessage } from "../protocol";
import type { Redis } from "@upstash/redis/cloudflare";
import { ApiError, dbUnavailable } from "../platform/errors";
import { toPublicMessage, type MessageFields } from "../domain/message";
import type { SessionClaims } from "../domain/tokens";
import { isDbUnavailable, isUniqueViolation } from "../platform/db";
import { existingIds, insertMessages, lastSeq, replyTargets, retryKey, sentEarlier } from "../features/messages/queries";
import type { NewMessageRow } from "../platform/schema";
import { appendToWindow, type WindowSettings } from "../features/messages/window";
import { rebuildRoomCache } from "../features/messages/cache-rebuild";
import type { CacheHealth } from "../platform/cache-health";
import { errorText, logEvent } from "../platform/log";
import type { SendInput } from "../features/messages/schemas";
import { done, refused, type RoomResult } from "../platform/rpc-result";
import type { RoomDb } from "../platform/room-db";

export type SendResult = RoomResult<PublicMessage>;

/** A stored message and who sent it, handed to the broadcaster. */
export interface Delivery {
  message: PublicMessage;
  clientId: string | null;
  origin: WebSocket | null;
  /** A retried send: its stored message goes back to the sender only, as the acknowledgement. */
  onlyToOrigin?: boolean;
}

/** Who a message is from: a participant (normal or host) or the room itself (system). */
export interface Author {
  roomId: string;
  participationId: string | null;
  userId: string | null;
  username: string;
  usernameIsReserved: boolean;
  messageType: MessageType;
}

export const authorOf = (claims: SessionClaims): Author => ({
  roomId: claims.roomId,
  participationId: claims.participationId,
  userId: claims.userId,
  username: claims.username,
  usernameIsReserved: claims.usernameIsReserved,
  messageType: claims.isHost ? "host" : "normal",
});

/** System messages announce room events; they belong to no participant. */
export const SYSTEM_USERNAME = "ChatPop";

export const systemAuthor = (roomId: string): Author => ({
  roomId,
  participationId: null,
  userId: null,
  username: SYSTEM_USERNAME,
  usernameIsReserved: false,
  messageType: "system",
});

interface Pending {
  author: Author;
  input: SendInput;
  origin: WebSocket | null;
  resolve(result: SendResult): void;
}

export interface PipelineDeps {
  chatCode: string;
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


export class SendPipeline {
  private queue: Pending[] = [];
  private writing = false;
  /** The room's newest stored seq; null until read from Postgres (after a wake or a failed write). */
  private seq: number | null = null;

  constructor(private readonly deps: PipelineDeps) {}

  /** Queues a validated send; resolves once it is stored and broadcast, or refused. */
  submit(author: Author, input: SendInput, origin: WebSocket | null = null): Promise<SendResult> {
    return new Promise((resolve) => {
      this.queue.push({ author, input, origin, resolve });
      if (!this.writing) void this.drain();
    });
  }

  private async drain() {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.deps.maxBatch);
        try {
          await this.write(batch);
        } catch (e) {
          // Nothing of this batch was cached or broadcast; re-read seq before the next write.
          this.seq = null;
          const err = e instanceof ApiError ? e : isDbUnavailable(e) ? dbUnavailable() : internalError(e, this.deps.chatCode);
          logEvent("send_batch_failed", { room: this.deps.chatCode, count: batch.length, code: err.code });
          for (const p of batch) p.resolve(refused(err));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: Pending[]) {
    const { chatCode, db } = this.deps;
    const roomId = batch[0]!.author.roomId;
    const started = Date.now();

    const replyIds = [...new Set(batch.flatMap((p) => (p.input.reply_to_id ? [p.input.reply_to_id] : [])))];
    const keyed = batch.flatMap((p) => {
      const key = keyOf(p);
      return key ? [{ participationId: p.author.participationId!, clientId: p.input.client_id! }] : [];
    });
    const { targets, seq, earlier } = await db.run(async (conn) => ({
      targets: await replyTargets(conn, roomId, this.deps.channel, replyIds),
      seq: this.seq ?? (await lastSeq(conn, roomId, this.deps.channel)),
      earlier: await sentEarlier(conn, roomId, chatCode, keyed),
    }));
    this.seq = seq;

    type Accepted = { pending: Pending; row: NewMessageRow; message: PublicMessage };
    const accepted: Accepted[] = [];
    // Retries (same participant, same client_id) are stored once: they get the first copy back.
    const retries: { pending: Pending; message: PublicMessage }[] = [];
    const firstOfKey = new Map<string, Accepted>();
    let next = seq;
    for (const p of batch) {
      const key = keyOf(p);
      const stored = key ? earlier.get(key) : undefined;
      if (stored) {
        retries.push({ pending: p, message: stored });
        continue;
      }
      const sibling = key ? firstOfKey.get(key) : undefined;
      if (sibling) {
        retries.push({ pending: p, message: sibling.message });
        continue;
      }
      const replyTo = p.input.reply_to_id ? targets.get(p.input.reply_to_id) ?? null : null;
      if (p.input.reply_to_id && !replyTo) {
        p.resolve(refused(new ApiError(404, "REPLY_NOT_FOUND", "`reply_to_id` names no message of this room.")));
        continue;
      }
      const fields: MessageFields = {
        id: crypto.randomUUID(),
        channel: this.deps.channel,
        seq: ++next,
        username: p.author.username,
        userId: p.author.userId,
        content: p.input.message,
        messageType: p.author.messageType,
        isPinned: false,
        pinnedUntil: null,
        pinAmountCents: 0,
        usernameIsReserved: p.author.usernameIsReserved,
        createdAt: new Date(),
      };
      const row: NewMessageRow = {
        ...fields,
        chatRoomId: roomId,
        participationId: p.author.participationId,
        replyToId: replyTo?.id ?? null,
        clientId: p.input.client_id ?? null,
      };
      const message = toPublicMessage(chatCode, fields, replyTo);
      const entry = { pending: p, row, message };
      accepted.push(entry);
      if (key) firstOfKey.set(key, entry);
    }

    if (accepted.length > 0) {
      const rows = accepted.map((a) => a.row);
      try {
        await db.run((conn) => insertMessages(conn, rows));
      } catch (e) {
        // A retried INSERT whose first attempt did commit collides with itself: that is success.
        if (!isUniqueViolation(e) || !(await this.allStored(rows))) throw e;
      }
      this.seq = next;
      await this.cache(roomId, accepted.map((a) => a.message));
    }

    const answered = [...accepted.map((a) => ({ pending: a.pending, message: a.message, retry: false })), ...retries.map((r) => ({ ...r, retry: true }))];
    this.deps.broadcast(
      answered.map(({ pending, message, retry }) => ({
        message,
        clientId: pending.input.client_id ?? null,
        origin: pending.origin,
        ...(retry ? { onlyToOrigin: true } : {}),
      })),
    );
    for (const { pending, message } of answered) {
      pending.resolve(done(pending.input.client_id ? { ...message, client_id: pending.input.client_id } : message));
    }
    if (accepted.length > 0) {
      logEvent("messages_stored", { room: chatCode, count: accepted.length, last_seq: next, ms: Date.now() - started });
    }
    if (retries.length > 0) logEvent("send_retries_acknowledged", { room: chatCode, count: retries.length });
  }

  /**
   * Adds stored messages to the Redis window. Postgres has them, so a failure
   * is logged, not returned; while Redis is failing it is not called, and once
   * it answers again the room's Redis state is rebuilt from Postgres (which
   * includes these messages) rather than appended to.
   */
  private async cache(roomId: string, messages: PublicMessage[]) {
    const { cacheHealth: health, chatCode } = this.deps;
    await health.write(
      async () => {
        if (health.stale) {
          const report = await this.deps.db.run((conn) =>
            rebuildRoomCache(conn, this.deps.redis, { id: roomId, code: chatCode }, this.deps.window),
          );
          health.repaired();
          logEvent("cache_rebuilt", { room: chatCode, messages: report.windows.reduce((n, w) => n + w.after, 0) });
        } else {
          await appendToWindow(this.deps.redis, chatCode, this.deps.channel, messages, this.deps.window);
        }
      },
      (e) => logEvent("cache_write_failed", { room: chatCode, count: messages.length, error: errorText(e) }),
    );
  }

  private async allStored(rows: NewMessageRow[]): Promise<boolean> {
    const found = await this.deps.db.run((conn) => existingIds(conn, rows.map((r) => r.id!)));
    return found === rows.length;
  }
}

/** The retry identity of a send: only a participant's sends with a client_id have one. */
function keyOf(p: Pending): string | null {
  return p.input.client_id && p.author.participationId ? retryKey(p.author.participationId, p.input.client_id) : null;
}

function internalError(e: unknown, room: string): ApiError {
  logEvent("send_failed", { room, error: errorText(e) });
  return new ApiError(500, "INTERNAL_ERROR", "The message could not be stored; try again.");
}
