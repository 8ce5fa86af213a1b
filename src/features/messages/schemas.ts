// What a send carries, shared by POST …/messages/send/ and the socket's message
// frame so both paths validate alike, and the content rules beyond types.
import { z } from "zod";
import { ApiError } from "../../platform/errors";
import { CLIENT_ID_MAX_CHARS, MESSAGE_MAX_CHARS } from "../../domain/limits";

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
