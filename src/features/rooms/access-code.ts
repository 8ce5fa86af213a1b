// A private room's access code, wherever it is checked (join, validate-username,
// the back room's details). Each check of a code spends one shared budget of
// wrong codes, per address (and IPv6 block) and per room, before the password
// hash runs, so guessing costs the guesser and never the server's CPU; a right
// code gets its try back. Someone who already holds a session of the room is
// not held up by another's guessing: the room's budget does not apply to them.
import type { Context } from "hono";
import { ApiError } from "../../platform/errors";
import type { AppEnv } from "../../platform/http/context";
import { checkRateLimit } from "../../platform/http/rate-limit";
import { logEvent } from "../../platform/log";
import { errorSchema } from "../../platform/http/openapi";
import { verifySecret } from "../../domain/passwords";
import { verifySessionToken } from "../../domain/tokens";
import type { RoomWithHost } from "./queries";
import { SESSION_TOKEN_HEADER } from "../../protocol";

const ACCESS_CODE_MAX_CHARS = 64;

/** What a route that checks an access code may refuse, for its entry in the OpenAPI document. */
export const ACCESS_CODE_REFUSALS = {
  403: { description: "ACCESS_CODE_INVALID: a private room's access code is missing or wrong", schema: errorSchema },
  429: { description: "RATE_LIMITED (Retry-After): the wrong access codes of the caller's network, or of everyone for this room, used up their budget", schema: errorSchema },
};

const accessCodeInvalid = () => new ApiError(403, "ACCESS_CODE_INVALID", "This room is private: the access code is missing or wrong.");

/**
 * A private room lets in only who knows its access code (403 ACCESS_CODE_INVALID otherwise; 429
 * RATE_LIMITED once the wrong codes from the caller's network, or for the room, use up their
 * budget); a public room everyone. `member`: the caller already holds a session of the room.
 */
export async function checkAccessCode(c: Context<AppEnv>, room: RoomWithHost, given: string | undefined, opts: { member?: boolean } = {}) {
  if (room.accessMode !== "private") return;
  // A code that cannot be right is refused without spending a hash or a try on it.
  const fits = given !== undefined && given.length > 0 && given.length <= ACCESS_CODE_MAX_CHARS;
  if (!fits || !room.accessCodeHash) throw accessCodeInvalid();
  const { refund } = await checkRateLimit(c, "access_code", { roomId: opts.member ? undefined : room.id });
  if (!(await verifySecret(given, room.accessCodeHash))) {
    logEvent("access_code_wrong", { room: room.code });
    throw accessCodeInvalid();
  }
  refund();
}

/** Whether the request carries a session of this room (X-Session-Token that verifies; no query). */
export async function holdsSession(c: Context<AppEnv>, roomCode: string): Promise<boolean> {
  const token = c.req.header(SESSION_TOKEN_HEADER);
  return token !== undefined && (await verifySessionToken(token, c.env.JWT_SECRET, roomCode)) !== null;
}
