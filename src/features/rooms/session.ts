// Room session tokens on REST calls and at socket connect. A token stands when
// it verifies (signature, room, expiry), when the login it was minted under (a
// logged-in join) is still live, since logging out ends it, and, for reads, when
// no ban of the room covers its participation. Writes go to the room, which
// checks bans itself from memory.
import type { Context } from "hono";
import { ApiError } from "../../platform/errors";
import type { Db } from "../../platform/db";
import { verifySessionToken, type SessionClaims } from "../../domain/tokens";
import type { ChatBanRow } from "../../platform/schema";
import type { AppEnv } from "../../platform/http/context";
import { activeSessionUserQuery } from "../accounts/queries";
import { NO_ID, findRoomQuery, roomOfRow } from "./queries";
import { participationByCodeQuery } from "./participation-queries";
import { bearerClaims } from "../accounts/auth";
import { checkStanding, sessionEnded, standingQueries } from "./standing";
import { SESSION_TOKEN_HEADER } from "../../protocol";


export const sessionRequired = () =>
  new ApiError(401, "SESSION_REQUIRED", "Join the room first and send its `session_token` (header X-Session-Token).");

export const sessionInvalid = () =>
  new ApiError(403, "SESSION_INVALID", "The session token is invalid, expired or for another room; join the room again.");


/** The token's claims when it verifies for this room (no query); 401/403 otherwise. */
export async function verifiedSession(c: Context<AppEnv>, roomCode: string, token: string | undefined | null): Promise<SessionClaims> {
  if (!token) throw sessionRequired();
  const claims = await verifySessionToken(token, c.env.JWT_SECRET, roomCode);
  if (!claims) throw sessionInvalid();
  return claims;
}

/** Whether a logged-in token's login is still live (no query for an anonymous token). */
export async function loginStands(db: Db, claims: SessionClaims): Promise<boolean> {
  if (claims.authSessionId === null) return true;
  return (await activeSessionUserQuery(db, claims.authSessionId, claims.userId ?? NO_ID)).length > 0;
}

/** A session for a write (the room checks bans): the token verifies and its login still stands. */
export async function requireSession(c: Context<AppEnv>, roomCode: string, token: string | undefined | null): Promise<SessionClaims> {
  const claims = await verifiedSession(c, roomCode, token);
  if (!(await loginStands(c.var.db(), claims))) throw sessionEnded();
  return claims;
}

/**
 * A REST read's reader, from the rows a batch read beside the data (standingQueries): a session
 * given must stand; without one, only what needs no session may be read.
 */
export function checkReader(reader: SessionClaims | null, standing: { logins: unknown[]; bans: ChatBanRow[] }, sessionNeeded: boolean): void {
  if (reader) checkStanding(reader, standing.logins, standing.bans, { bans: true });
  else if (sessionNeeded) throw sessionRequired();
}

/**
 * The caller's account as a room reader, when it has joined the room logged in: the session its
 * join would mint, without a token (one round trip). For clients that read with the account token
 * only (the original ChatPop web client); the reader still has to stand (login, bans) like a session.
 */
export async function accountAsReader(c: Context<AppEnv>, code: string): Promise<SessionClaims | null> {
  const account = await bearerClaims(c);
  if (!account) return null;
  const db = c.var.db();
  const [rooms, mine] = await db.batch([findRoomQuery(db, code), participationByCodeQuery(db, code, { userId: account.userId })]);
  const room = roomOfRow(rooms[0]);
  const p = mine[0];
  if (!room || !p) return null;
  return {
    roomCode: room.code,
    roomId: room.id,
    participationId: p.id,
    userId: account.userId,
    username: p.username,
    isHost: room.hostId === account.userId,
    usernameIsReserved: p.usernameIsReserved,
    authSessionId: account.authSessionId,
  };
}

/** A session for a read: as for a write, and no ban covers it (one round trip). */
export async function requireReader(c: Context<AppEnv>, roomCode: string, token: string | undefined | null): Promise<SessionClaims> {
  const claims = await verifiedSession(c, roomCode, token);
  const db = c.var.db();
  const [logins, bans] = await db.batch(standingQueries(db, roomCode, claims));
  checkStanding(claims, logins, bans, { bans: true });
  return claims;
}

/** The room's host, by session token: every host power goes through here. */
export async function requireHostSession(c: Context<AppEnv>, roomCode: string, token: string | undefined | null): Promise<SessionClaims> {
  const claims = await requireSession(c, roomCode, token);
  if (!claims.isHost) throw new ApiError(403, "HOST_ONLY", "Only the room's host can do this.");
  return claims;
}

/**
 * The session token of a REST call: the X-Session-Token header, else the body's, else the
 * `session_token` query parameter (kept for old clients; a URL ends up in logs and histories).
 */
export function sessionTokenOf(c: Context<AppEnv>, fromBody?: string | null): string | undefined {
  return c.req.header(SESSION_TOKEN_HEADER) ?? fromBody ?? c.req.query("session_token");
}
