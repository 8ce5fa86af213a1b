// Reads what a client sends over the socket: a ping or a send, validated by the
// same schema as the REST send, with the same error codes. Content rules come
// after, in the room's one admission step (ChatRoom.admit).
import { z } from "zod";
import { ApiError, parseJsonObject, validationError } from "../platform/errors";
import { sendSchema, type SendInput } from "../features/messages/schemas";

export type ParsedFrame = { kind: "ping" } | { kind: "send"; input: SendInput };

const frameType = z.object({ type: z.string().optional() });

/** Parses one text frame; throws ApiError for anything that is not a valid ping or send. */
export function parseClientFrame(text: string): ParsedFrame {
  const raw = parseJsonObject(text, "A frame");
  const typed = frameType.safeParse(raw);
  if (!typed.success) throw new ApiError(400, "INVALID_FRAME", "`type` must be a string.");
  const type = typed.data.type ?? "message";
  if (type === "ping") return { kind: "ping" };
  if (type !== "message") throw new ApiError(400, "UNKNOWN_FRAME_TYPE", `Unknown frame type "${type}".`);
  const parsed = sendSchema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error);
  return { kind: "send", input: parsed.data };
}
