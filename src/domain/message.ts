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
  pinnedUntil: Date | null;
  pinAmountCents: number;
  usernameIsReserved: boolean;
  createdAt: Date;
}

const pinActive = (m: MessageFields) => m.isPinned && m.pinnedUntil !== null && m.pinnedUntil.getTime() > Date.now();

export function toPublicMessage(
  chatCode: string,
  m: MessageFields,
  replyTo: ReplySnapshot | null,
  reactions: ReactionCount[] = [],
): PublicMessage {
  return {
    id: m.id,
    chat_code: chatCode,
    channel: m.channel,
    seq: m.seq,
    username: m.username,
    user_id: m.userId,
    content: m.content,
    message_type: m.messageType,
    reply_to: replyTo,
    is_pinned: pinActive(m),
    pinned_until: m.pinnedUntil ? m.pinnedUntil.toISOString() : null,
    pin_amount_cents: pinActive(m) ? m.pinAmountCents : 0,
    is_from_host: m.messageType === "host",
    username_is_reserved: m.usernameIsReserved,
    reactions,
    created_at: m.createdAt.toISOString(),
  };
}

/** The identity under which a participant's send with a client_id is stored once. */
export const retryKey = (participationId: string, clientId: string) => `${participationId}|${clientId}`;
