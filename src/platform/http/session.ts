// Room session tokens on REST calls (query `session_token`, header
// X-Session-Token, or the body of a send).
import type { Context } from "hono";
import { ApiError } from "../errors";
import { verifySessionToken, type SessionClaims } from "../../domain/tokens";
import type { AppEnv } from "./context";

export const sessionRequired = () =>
  new ApiError(401, "SESSION_REQUIRED", "Join the room first and send its `session_token`.");

export const sessionInvalid = () =>
  new ApiError(403, "SESSION_INVALID", "The session token is invalid, expired or for another room; join the room again.");

export async function requireSession(c: Context<AppEnv>, roomCode: string, token: string | undefined | null): Promise<SessionClaims> {
  if (!token) throw sessionRequired();
  const claims = await verifySessionToken(token, c.env.JWT_SECRET, roomCode);
  if (!claims) throw sessionInvalid();
  return claims;
}

/** The room's host, by session token: every host power goes through here. */
export async function requireHostSession(c: Context<AppEnv>, roomCode: string, token: string | undefined | null): Promise<SessionClaims> {
  const claims = await requireSession(c, roomCode, token);
  if (!claims.isHost) throw new ApiError(403, "HOST_ONLY", "Only the room's host can do this.");
  return claims;
}

/** The session token of a REST call: the body's, else the query's, else the X-Session-Token header. */
export function sessionTokenOf(c: Context<AppEnv>, fromBody?: string | null): string | undefined {
  return fromBody ?? c.req.query("session_token") ?? c.req.header("X-Session-Token");
}
