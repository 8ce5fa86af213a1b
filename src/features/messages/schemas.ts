// What a send carries, shared by POST …/messages/send/ and the socket's message
// frame so both paths validate alike, and the content rules beyond types.
import { z } from "zod";
import { ApiError } from "../../platform/errors";
import { CLIENT_ID_MAX_CHARS, HISTORY_MAX_LIMIT, MESSAGE_MAX_CHARS } from "../../domain/limits";

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

export const historyQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { error: `\`limit\` must be a whole number from 1 to ${HISTORY_MAX_LIMIT}.` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= HISTORY_MAX_LIMIT, {
      error: `\`limit\` must be a whole number from 1 to ${HISTORY_MAX_LIMIT}.`,
    })
    .optional(),
  before: z.string().max(64).optional(),
  session_token: z.string().optional(),
});

export const messageIdParam = z.uuid();

export const reactBody = z.object({
  session_token: z.string({ error: "`session_token` must be a string." }).optional(),
  emoji: z.string({ error: "`emoji` must be a string holding one emoji." }),
});

export const tokenBody = z.object({ session_token: z.string({ error: "`session_token` must be a string." }).optional() });

/**
 * A REST send. It also takes the original ChatPop's body `{username, content, session_token}`:
 * `content` is the text (as `message` is), and `username` is ignored (the session names the sender).
 */
const restSendFields = {
  ...sendFields,
  message: sendFields.message.optional(),
  content: z.string({ error: "`content` must be a string." }).optional(),
  username: z.string({ error: "`username` must be a string." }).optional(),
  // The original client sends `session_token: null` when it has not joined yet: that is "none".
  session_token: z.string({ error: "`session_token` must be a string." }).nullish(),
};

/** The text comes as `message` or `content`, not as two different ones. */
function oneText(b: { message?: string; content?: string }, ctx: z.RefinementCtx) {
  if (b.message === undefined && b.content === undefined) {
    ctx.addIssue({ code: "custom", message: "Send the text as `message` (or `content`).", path: ["message"] });
  } else if (b.message !== undefined && b.content !== undefined && b.message !== b.content) {
    ctx.addIssue({ code: "custom", message: "`message` and `content` are the same field; send one of them.", path: ["content"] });
  }
}

export const sendBody = z
  .object(restSendFields)
  .superRefine(oneText)
  .transform(({ content, username: _ignored, ...rest }) => ({ ...rest, message: (rest.message ?? content)! }));

/** The original ChatPop's back-room send: `reply_to` names the replied message (as `reply_to_id` does). */
export const backroomSendBody = z
  .object({ ...restSendFields, reply_to: z.uuid({ error: "`reply_to` must be a message id (a UUID)." }).nullish() })
  .superRefine(oneText)
  .transform(({ content, username: _ignored, reply_to, ...rest }) => ({ ...rest, message: (rest.message ?? content)!, reply_to: reply_to ?? null }));

// ---- answers ----------------------------------------------------------------

const reactionCount = z.object({ emoji: z.string(), count: z.number().int() });

/** The public message object (protocol/message.ts), as history, sends and frames carry it. */
export const messageSchema = z
  .object({
    id: z.uuid(),
    chat_code: z.string(),
    channel: z.enum(["main", "backroom"]),
    seq: z.number().int().min(1),
    username: z.string(),
    user_id: z.uuid().nullable(),
    content: z.string(),
    message_type: z.enum(["normal", "host", "system"]),
    reply_to: z.uuid().nullable().describe("The replied message's id."),
    reply_to_message: z
      .object({ id: z.uuid(), username: z.string(), content: z.string().nullable().describe("Null once it was deleted."), is_from_host: z.boolean() })
      .nullable(),
    user: z.object({ id: z.uuid() }).nullable().describe("The sender's account when logged in (its id only)."),
    is_pinned: z.boolean(),
    pinned_at: z.iso.datetime().nullable(),
    pinned_until: z.iso.datetime().nullable(),
    pin_amount_cents: z.number().int(),
    pin_amount_paid: z.string().describe('The active pin\'s total as a decimal string of dollars ("5.00").'),
    time_until_unpin: z.number().int().nullable().describe("Seconds the active pin has left; null when not pinned."),
    is_deleted: z.literal(false),
    is_from_host: z.boolean(),
    username_is_reserved: z.boolean(),
    reactions: z.array(reactionCount),
    created_at: z.iso.datetime(),
    client_id: z.string().optional().describe("Only on the sender's own answer to a send that carried one."),
  })
  .meta({ id: "Message" });

export const historyPageSchema = z.object({
  messages: z.array(messageSchema).describe("Oldest to newest."),
  pinned_messages: z.array(messageSchema).describe("Active pins, highest amount first (main room only)."),
  has_more: z.boolean(),
  next_before: z.string().nullable().describe("Pass as `before` for the page just older; null when has_more is false."),
  count: z.number().int(),
});

export const reactAnswer = z.object({
  message_id: z.uuid(),
  emoji: z.string(),
  action: z.enum(["added", "removed"]),
  reactions: z.array(reactionCount),
});

export const reactionsAnswer = z.object({ message_id: z.uuid(), reactions: z.array(reactionCount) });

export const deleteAnswer = z.object({ message_id: z.uuid() });
