// The WebSocket protocol: the client frames the room accepts, and the frames it sends.
// The send fields are shared with POST …/messages/send/ so both paths validate alike.
import { z } from "zod";
import { ApiError, validationError } from "../platform/errors";
import { CLIENT_ID_MAX_CHARS, MESSAGE_MAX_CHARS } from "../domain/limits";
import type { PublicMessage } from "../domain/message";

export const sendFields = {
  message: z.string({ error: "`message` must be a string." }),
  /** "backroom" sends to the paid back room (members and the host); the main room otherwise. */
  channel: z.enum(["main", "backroom"], { error: '`channel` must be "main" or "backroom".' }).nullish(),
  reply_to_id: z.uuid({ error: "`reply_to_id` must be a message id (a UUID)." }).nullish(),
  client_id: z
    .string({ error: "`client_id` must be a string." })
    .min(1, { error: "`client_id` must not be empty." })
    .max(CLIENT_ID_MAX_CHARS, { error: `\`client_id\` can have at most ${CLIENT_ID_MAX_CHARS} characters.` })
    .nullish(),
};

export const sendSchema = z.object(sendFields);
export type SendInput = z.infer<typeof sendSchema>;

/** Content rules beyond types: not blank, at most MESSAGE_MAX_CHARS characters. Content is kept verbatim. */
export function checkContent(message: string): void {
  if (message.trim() === "") throw new ApiError(400, "MESSAGE_EMPTY", "The message is empty.");
  let chars = 0;
  for (const _ of message) if (++chars > MESSAGE_MAX_CHARS) break;
  if (chars > MESSAGE_MAX_CHARS) {
    throw new ApiError(413, "MESSAGE_TOO_LONG", `Messages can have at most ${MESSAGE_MAX_CHARS} characters.`, {
      max_chars: MESSAGE_MAX_CHARS,
    });
  }
}

export type ClientFrame = { kind: "ping" } | { kind: "send"; input: SendInput };

const frameType = z.object({ type: z.string().optional() });

/** Parses one text frame; throws ApiError for anything that is not a valid ping or send. */
export function parseClientFrame(text: string): ClientFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError(400, "INVALID_JSON", "Frames must be JSON objects.");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ApiError(400, "INVALID_FRAME", "Frames must be JSON objects.");
  }
  const typed = frameType.safeParse(raw);
  if (!typed.success) throw new ApiError(400, "INVALID_FRAME", "`type` must be a string.");
  const type = typed.data.type ?? "message";
  if (type === "ping") return { kind: "ping" };
  if (type !== "message") throw new ApiError(400, "UNKNOWN_FRAME_TYPE", `Unknown frame type "${type}".`);
  const parsed = sendSchema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error);
  checkContent(parsed.data.message);
  return { kind: "send", input: parsed.data };
}

export const pongFrame = JSON.stringify({ type: "pong" });

export function errorFrame(err: ApiError, clientId?: string | null): string {
  return JSON.stringify({ type: "error", error: err.message, code: err.code, ...(clientId ? { client_id: clientId } : {}) });
}

export function messageFrame(message: PublicMessage, clientId?: string | null): string {
  return JSON.stringify({ type: "message", ...message, ...(clientId ? { client_id: clientId } : {}) });
}

/** Sent to a banned participant's socket just before it is closed with 4403. */
export function kickedFrame(message: string): string {
  return JSON.stringify({ type: "kicked", message });
}
