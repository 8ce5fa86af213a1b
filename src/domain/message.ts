// The public message object of API.md, built the same way for history,
// broadcasts, the REST send answer and the Redis window.
import type { ReactionCount } from "./reactions";

export type MessageType = "normal" | "host" | "system";

/** The quoted parent of a reply; `content` is null once the parent was deleted. */
export interface ReplySnapshot {
  id: string;
  username: string;
  content: string | null;
}

export interface PublicMessage {
  id: string;
  chat_code: string;
  seq: number;
  username: string;
  user_id: string | null;
  content: string;
  message_type: MessageType;
  reply_to: ReplySnapshot | null;
  is_pinned: boolean;
  pinned_until: string | null;
  is_from_host: boolean;
  username_is_reserved: boolean;
  reactions: ReactionCount[];
  created_at: string;
  client_id?: string;
}

export interface MessageFields {
  id: string;
  seq: number;
  username: string;
  userId: string | null;
  content: string;
  messageType: MessageType;
  isPinned: boolean;
  pinnedUntil: Date | null;
  usernameIsReserved: boolean;
  createdAt: Date;
}

export function toPublicMessage(
  chatCode: string,
  m: MessageFields,
  replyTo: ReplySnapshot | null,
  reactions: ReactionCount[] = [],
): PublicMessage {
  return {
    id: m.id,
    chat_code: chatCode,
    seq: m.seq,
    username: m.username,
    user_id: m.userId,
    content: m.content,
    message_type: m.messageType,
    reply_to: replyTo,
    is_pinned: m.isPinned && m.pinnedUntil !== null && m.pinnedUntil.getTime() > Date.now(),
    pinned_until: m.pinnedUntil ? m.pinnedUntil.toISOString() : null,
    is_from_host: m.messageType === "host",
    username_is_reserved: m.usernameIsReserved,
    reactions,
    created_at: m.createdAt.toISOString(),
  };
}
