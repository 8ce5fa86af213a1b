// The public message object of API.md, built the same way for history,
// broadcasts, the REST send answer and the Redis window.
import type { ReactionCount } from "./reactions";

export type MessageType = "normal" | "host" | "system";
/** The main room, or the paid back room (members and the host only). */
export type Channel = "main" | "backroom";

/** The quoted parent of a reply; `content` is null once the parent was deleted. */
export interface ReplySnapshot {
  id: string;
  username: string;
  content: string | null;
}

export interface PublicMessage {
  id: string;
  chat_code: string;
  channel: Channel;
  seq: number;
  username: string;
  user_id: string | null;
  content: string;
  message_type: MessageType;
  reply_to: ReplySnapshot | null;
  is_pinned: boolean;
  pinned_until: string | null;
  pin_amount_cents: number;
  is_from_host: boolean;
  username_is_reserved: boolean;
  reactions: ReactionCount[];
  created_at: string;
  client_id?: string;
}

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
