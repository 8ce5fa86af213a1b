// The pure half of a send batch: given what Postgres says (the newest seq, the
// reply targets, the messages these client_ids already stored), decide which
// sends become new messages with which seq, which are retries answered with
// their first copy, and which are refused. No I/O, so every rule here has a
// unit test (test/unit/plan-batch.test.ts); commit() in send-pipeline.ts
// writes what it decides.
import type { ApiError } from "../platform/errors";
import { retryKey, toPublicMessage, type MessageFields } from "../domain/message";
import type { RoomRef } from "../domain/room-code";
import type { Channel, MessageType, PublicMessage, ReplySnapshot } from "../protocol";

/** Who a message is from: a participant (normal or host) or the room itself (system). */
export interface Author {
  participationId: string | null;
  userId: string | null;
  username: string;
  usernameIsReserved: boolean;
  messageType: MessageType;
}

/** One queued send, as planBatch needs it. */
export interface PlannedSend {
  author: Author;
  message: string;
  replyToId: string | null;
  clientId: string | null;
}

/** What Postgres knows that the plan depends on, read in one round trip before it. */
export interface Lookups {
  /** Live messages of this channel that the batch replies to, by id. */
  replyTargets: Map<string, ReplySnapshot>;
  /** Messages stored earlier for (participation, client_id), by retryKey. */
  sentEarlier: Map<string, PublicMessage>;
}

/** A new message: the row to insert and the public message to broadcast. */
export interface NewMessage {
  fields: MessageFields;
  participationId: string | null;
  replyToId: string | null;
  clientId: string | null;
  message: PublicMessage;
}

export interface Plan<S extends PlannedSend> {
  /** New messages, in seq order, each with the send it came from. */
  accepted: { send: S; row: NewMessage }[];
  /** Sends already stored (a retry, or a twin earlier in this batch): answered with that message. */
  retries: { send: S; message: PublicMessage }[];
  refused: { send: S; error: ApiError }[];
  /** The newest seq once the accepted messages are stored. */
  lastSeq: number;
}

/** The retry identity of a send: only a participant's sends with a client_id have one. */
export const retryKeyOf = (s: PlannedSend) => (s.clientId && s.author.participationId ? retryKey(s.author.participationId, s.clientId) : null);

export function planBatch<S extends PlannedSend>(
  batch: S[],
  lookups: Lookups,
  seq: number,
  ctx: {
    room: RoomRef;
    channel: Channel;
    now: Date;
    /** The channel's newest message's created_at (ms), if known: times only grow along seq. */
    newestCreatedAt?: number | null;
    newId: () => string;
    replyNotFound: () => ApiError;
  },
): Plan<S> {
  const plan: Plan<S> = { accepted: [], retries: [], refused: [], lastSeq: seq };
  // Each message is at least a millisecond newer than the one before it, so paging history by
  // time (the original ChatPop's cursor) can never split two messages of one instant.
  let createdAt = ctx.newestCreatedAt ?? 0;
  const firstOfKey = new Map<string, PublicMessage>();
  for (const send of batch) {
    const key = retryKeyOf(send);
    const earlier = key ? (lookups.sentEarlier.get(key) ?? firstOfKey.get(key)) : undefined;
    if (earlier) {
      plan.retries.push({ send, message: earlier });
      continue;
    }
    const replyTo = send.replyToId ? (lookups.replyTargets.get(send.replyToId) ?? null) : null;
    if (send.replyToId && !replyTo) {
      plan.refused.push({ send, error: ctx.replyNotFound() });
      continue;
    }
    const fields: MessageFields = {
      id: ctx.newId(),
      channel: ctx.channel,
      seq: ++plan.lastSeq,
      username: send.author.username,
      userId: send.author.userId,
      content: send.message,
      messageType: send.author.messageType,
      isPinned: false,
      pinnedAt: null,
      pinnedUntil: null,
      pinAmountCents: 0,
      usernameIsReserved: send.author.usernameIsReserved,
      createdAt: new Date((createdAt = Math.max(ctx.now.getTime(), createdAt + 1))),
    };
    const message = toPublicMessage(ctx.room.code, fields, replyTo);
    plan.accepted.push({
      send,
      row: { fields, participationId: send.author.participationId, replyToId: replyTo?.id ?? null, clientId: send.clientId, message },
    });
    if (key) firstOfKey.set(key, message);
  }
  return plan;
}
