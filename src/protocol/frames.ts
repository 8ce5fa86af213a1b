// The WebSocket frames. Every frame the room sends is built here, so their
// shapes live in one place; clients import these types.
import type { ErrorBody } from "./errors";
import type { Channel, PublicMessage, ReactionCount } from "./message";

/**
 * The keep-alive, byte for byte: the room answers it without waking
 * (setWebSocketAutoResponse). Any other spelling of a ping frame still gets
 * a pong, but wakes the room.
 */
export const PING_TEXT = '{"type":"ping"}';
export const PONG_TEXT = '{"type":"pong"}';

export type MessageFrame = { type: "message" } & PublicMessage;
export type ErrorFrame = { type: "error"; client_id?: string } & ErrorBody;
export interface PongFrame { type: "pong" }
export interface PresenceFrame { type: "presence"; count: number }
export interface KickedFrame { type: "kicked"; message: string }
export interface ReactionFrame {
  type: "reaction";
  message_id: string;
  emoji: string;
  action: "added" | "removed";
  username: string;
  reactions: ReactionCount[];
}
export interface MessageDeletedFrame { type: "message_deleted"; message_id: string }
export interface PinnedFrame { type: "pinned"; message: PublicMessage }
export interface UnpinnedFrame { type: "unpinned"; message_id: string }
/**
 * A resume skipped messages from_seq..to_seq of the channel (more were missed than a
 * connect sends): page them over REST with `before` as the history cursor.
 */
export interface GapFrame { type: "gap"; channel: Channel; from_seq: number; to_seq: number; before: string }

export type ServerFrame =
  | MessageFrame
  | ErrorFrame
  | PongFrame
  | PresenceFrame
  | KickedFrame
  | ReactionFrame
  | MessageDeletedFrame
  | PinnedFrame
  | UnpinnedFrame
  | GapFrame;

/** What a client sends: a chat message (type may be left out) or a ping. */
export interface SendFrame {
  type?: "message";
  message: string;
  channel?: "main" | "backroom" | null;
  reply_to_id?: string | null;
  client_id?: string | null;
}
export interface PingFrame { type: "ping" }
export type ClientFrame = SendFrame | PingFrame;

const text = (frame: ServerFrame) => JSON.stringify(frame);

export const messageFrame = (message: PublicMessage, clientId?: string | null) =>
  text({ type: "message", ...message, ...(clientId ? { client_id: clientId } : {}) });

export const errorFrame = (body: ErrorBody, clientId?: string | null) =>
  text({ type: "error", ...body, ...(clientId ? { client_id: clientId } : {}) });

export const presenceFrame = (count: number) => text({ type: "presence", count });

/** Sent to a banned participant's socket just before it is closed with 4403: clients treat it as final. */
export const kickedFrame = (message: string) => text({ type: "kicked", message });

export const reactionFrame = (frame: Omit<ReactionFrame, "type">) => text({ type: "reaction", ...frame });

export const messageDeletedFrame = (messageId: string) => text({ type: "message_deleted", message_id: messageId });

export const pinnedFrame = (message: PublicMessage) => text({ type: "pinned", message });

export const unpinnedFrame = (messageId: string) => text({ type: "unpinned", message_id: messageId });

export const gapFrame = (frame: Omit<GapFrame, "type">) => text({ type: "gap", ...frame });
