// Builds the protocol's public message from stored fields, the same way for
// history, broadcasts, the REST send answer and the Redis window.
import type { Channel, MessageType, PublicMessage, ReactionCount, ReplySnapshot } from "../protocol";

export interface MessageFields {
  id: string;
  channel: Channel;
  seq: number;
  username: string;
  userId: string | null;
  content: string;
  messageType: MessageType;
  isPinned: boolean;
  pinnedAt: Date | null;
  pinnedUntil: Date | null;
  pinAmountCents: number;
  usernameIsReserved: boolean;
  createdAt: Date;
}

const pinActive = (m: MessageFields, now: number) => m.isPinned && m.pinnedUntil !== null && m.pinnedUntil.getTime() > now;

export function toPublicMessage(
  chatCode: string,
  m: MessageFields,
  replyTo: ReplySnapshot | null,
  reactions: ReactionCount[] = [],
  now = Date.now(),
): PublicMessage {
  const pinned = pinActive(m, now);
  const pinCents = pinned ? m.pinAmountCents : 0;
  return {
    id: m.id,
    chat_code: chatCode,
    channel: m.channel,
    seq: m.seq,
    username: m.username,
    user_id: m.userId,
    user: m.userId ? { id: m.userId } : null,
    content: m.content,
    message_type: m.messageType,
    reply_to: replyTo?.id ?? null,
    reply_to_message: replyTo,
    is_pinned: pinned,
    pinned_at: pinned && m.pinnedAt ? m.pinnedAt.toISOString() : null,
    pinned_until: m.pinnedUntil ? m.pinnedUntil.toISOString() : null,
    pin_amount_cents: pinCents,
    pin_amount_paid: dollars(pinCents),
    time_until_unpin: pinned ? secondsLeft(m.pinnedUntil!.getTime(), now) : null,
    is_from_host: m.messageType === "host",
    username_is_reserved: m.usernameIsReserved,
    is_deleted: false,
    reactions,
    created_at: m.createdAt.toISOString(),
  };
}

/**
 * A stored copy (the Redis window, the room's log) as it is served now: its pin clock as of now (a
 * pin seen hours later must not claim the seconds it had), and a copy stored before the message
 * carried the original ChatPop's fields (reply_to was the quote; up to a day old) in today's shape.
 */
export function asServedNow(stored: PublicMessage, now = Date.now()): PublicMessage {
  const m = upgradeStored(stored);
  if (!m.is_pinned || m.pinned_until === null) return m;
  const until = Date.parse(m.pinned_until);
  if (until > now) return { ...m, time_until_unpin: secondsLeft(until, now) };
  return { ...m, is_pinned: false, pinned_at: null, pin_amount_cents: 0, pin_amount_paid: dollars(0), time_until_unpin: null };
}

function upgradeStored(m: PublicMessage): PublicMessage {
  if (m.pin_amount_paid !== undefined) return m;
  const old = m as unknown as Omit<PublicMessage, "reply_to"> & { reply_to: Omit<ReplySnapshot, "is_from_host"> | null };
  return {
    ...m,
    reply_to: old.reply_to?.id ?? null,
    reply_to_message: old.reply_to ? { ...old.reply_to, is_from_host: false } : null,
    user: m.user_id ? { id: m.user_id } : null,
    pinned_at: null,
    pin_amount_paid: dollars(m.pin_amount_cents),
    time_until_unpin: null,
    is_deleted: false,
  };
}

const secondsLeft = (until: number, now: number) => Math.max(0, Math.floor((until - now) / 1000));

/** Cents as the original ChatPop's decimal string of dollars: 500 → "5.00". */
export const dollars = (cents: number) => (cents / 100).toFixed(2);

/** The identity under which a participant's send with a client_id is stored once. */
export const retryKey = (participationId: string, clientId: string) => `${participationId}|${clientId}`;
