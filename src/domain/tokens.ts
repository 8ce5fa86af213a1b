// JWTs (HS256, signed with JWT_SECRET). Account tokens and room session tokens
// carry different audiences, so one can never be replayed as the other; the
// algorithm is pinned when verifying and expiry is always checked.
import { sign, verify } from "hono/jwt";

export const USER_AUDIENCE = "chatpop:user";
export const SESSION_AUDIENCE = "chatpop:room-session";
export const USER_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
export const SESSION_TOKEN_TTL_SECONDS = 24 * 3600;

export interface UserClaims {
  userId: string;
  /** auth_sessions.id: logout revokes it. */
  authSessionId: string;
}

/** Who a room session token speaks for. Also kept on each socket (serializeAttachment). */
export interface SessionClaims {
  roomCode: string;
  roomId: string;
  participationId: string;
  userId: string | null;
  username: string;
  isHost: boolean;
  usernameIsReserved: boolean;
  /** The login (auth_sessions.id) the token was minted under, or null for an anonymous join: logging out ends the token. */
  authSessionId: string | null;
}

const now = () => Math.floor(Date.now() / 1000);

export async function signUserToken(claims: UserClaims, secret: string, ttl = USER_TOKEN_TTL_SECONDS): Promise<string> {
  const iat = now();
  return sign({ aud: USER_AUDIENCE, sub: claims.userId, sid: claims.authSessionId, iat, exp: iat + ttl }, secret, "HS256");
}

export async function signSessionToken(
  claims: SessionClaims,
  secret: string,
  ttl = SESSION_TOKEN_TTL_SECONDS,
): Promise<string> {
  const iat = now();
  return sign(
    {
      aud: SESSION_AUDIENCE,
      sub: claims.participationId,
      room: claims.roomCode,
      rid: claims.roomId,
      uid: claims.userId,
      name: claims.username,
      host: claims.isHost,
      rsv: claims.usernameIsReserved,
      ...(claims.authSessionId ? { sid: claims.authSessionId } : {}),
      iat,
      exp: iat + ttl,
    },
    secret,
    "HS256",
  );
}

async function verifyToken(token: string, secret: string, aud: string): Promise<Record<string, unknown> | null> {
  if (!token || token.length > 4096) return null;
  try {
    return (await verify(token, secret, { alg: "HS256", aud })) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export async function verifyUserToken(token: string, secret: string): Promise<UserClaims | null> {
  const p = await verifyToken(token, secret, USER_AUDIENCE);
  if (!p || typeof p.sub !== "string" || typeof p.sid !== "string") return null;
  return { userId: p.sub, authSessionId: p.sid };
}

/** Null when the token is missing, forged, expired, or for another room. */
export async function verifySessionToken(token: string, secret: string, roomCode: string): Promise<SessionClaims | null> {
  const p = await verifyToken(token, secret, SESSION_AUDIENCE);
  if (!p || p.room !== roomCode) return null;
  if (typeof p.sub !== "string" || typeof p.rid !== "string" || typeof p.name !== "string") return null;
  return {
    roomCode,
    roomId: p.rid,
    participationId: p.sub,
    userId: typeof p.uid === "string" ? p.uid : null,
    username: p.name,
    isHost: p.host === true,
    usernameIsReserved: p.rsv === true,
    authSessionId: typeof p.sid === "string" ? p.sid : null,
  };
}
