// Account authentication: a bearer JWT whose auth session is still live.
import type { Context } from "hono";
import { ApiError, invalidToken } from "../../platform/errors";
import { verifyUserToken, type UserClaims } from "../../domain/tokens";
import type { UserRow } from "../../platform/schema";
import { activeSessionUser } from "./queries";
import type { AppEnv } from "../../platform/http/context";

export interface Authenticated {
  user: UserRow;
  authSessionId: string;
}

/**
 * The account token of `Authorization: Bearer <token>`, or of `Token <token>` (the Django REST
 * framework scheme the original ChatPop web client sends): the same token, the same checks.
 */
export function bearerToken(c: Context<AppEnv>): string | null {
  const header = c.req.header("Authorization");
  if (!header) return null;
  const match = /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(header);
  if (!match) throw invalidToken("The Authorization header must be `Bearer <token>` (or `Token <token>`).");
  return match[1]!;
}

/** The caller's account, or null when no bearer token was sent. A bad token is an error, never anonymous. */
export async function optionalUser(c: Context<AppEnv>): Promise<Authenticated | null> {
  const claims = await bearerClaims(c);
  if (claims === null) return null;
  return liveSession(claims, await activeSessionUser(c.var.db(), claims.authSessionId, claims.userId));
}

/**
 * The bearer token's verified claims (no query), or null without a token. A route that batches its
 * reads sends activeSessionUserQuery with them and passes the answer to liveSession.
 */
export async function bearerClaims(c: Context<AppEnv>): Promise<UserClaims | null> {
  const token = bearerToken(c);
  if (token === null) return null;
  const claims = await verifyUserToken(token, c.env.JWT_SECRET);
  if (!claims) throw invalidToken(TOKEN_REJECTED);
  return claims;
}

/** The account of a token whose session is still live; a logged-out or expired session is refused. */
export function liveSession(claims: UserClaims, user: UserRow | null): Authenticated {
  if (!user) throw invalidToken(TOKEN_REJECTED);
  return { user, authSessionId: claims.authSessionId };
}

export async function requireUser(c: Context<AppEnv>): Promise<Authenticated> {
  const auth = await optionalUser(c);
  if (!auth) throw new ApiError(401, "AUTH_REQUIRED", "Log in first: send `Authorization: Bearer <token>`.");
  return auth;
}

const TOKEN_REJECTED = "The token is invalid, expired or logged out; log in again.";

export function publicUser(u: UserRow) {
  return { id: u.id, email: u.email, reserved_username: u.reservedUsername, created_at: u.createdAt.toISOString() };
}
