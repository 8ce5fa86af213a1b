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
  /** Only on the sender's own copy of a send that carried one. */
  client_id?: string;
}
