// The public message object: the same shape in history pages, broadcasts, the
// REST send answer and the Redis window.

export type MessageType = "normal" | "host" | "system";
/** The main room, or the paid back room (members and the host only). */
export type Channel = "main" | "backroom";

export interface ReactionCount {
  emoji: string;
  count: number;
}

/** The quoted parent of a reply; `content` is null once the parent was deleted. */
export interface ReplySnapshot {
  id: string;
  username: string;
  content: string | null;
  is_from_host: boolean;
}

/** The sender's account, when logged in: only its id (never its email or other account fields). */
export interface MessageUser {
  id: string;
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
  /** The replied message's id (the original ChatPop's meaning); reply_to_message quotes it. */
  reply_to: string | null;
  reply_to_message: ReplySnapshot | null;
  user: MessageUser | null;
  is_pinned: boolean;
  pinned_at: string | null;
  pinned_until: string | null;
  pin_amount_cents: number;
  /** The same as a decimal string of dollars ("5.00"), as the original ChatPop sends it. */
  pin_amount_paid: string;
  /** Whole seconds the active pin has left, as of when this copy was made; null when not pinned. */
  time_until_unpin: number | null;
  /** Always false: deleted messages are never served. */
  is_deleted: false;
  is_from_host: boolean;
  username_is_reserved: boolean;
  reactions: ReactionCount[];
  created_at: string;
  /** Only on the sender's own copy of a send that carried one. */
  client_id?: string;
}
