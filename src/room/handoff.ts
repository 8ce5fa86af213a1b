// What the Worker hands a room or relay with a socket's upgrade, once it has
// checked the token: the session's claims and the caller's address, in
// headers only the Worker sets (upgrade-route.ts strips a client's own).
import { protocolAnswer } from "../protocol";
import { ApiError } from "../platform/errors";
import type { SessionClaims } from "../domain/tokens";
import { slash48Of } from "../domain/client-ip";

/** Carries the Worker-verified session claims on the upgrade request. */
export const CLAIMS_HEADER = "X-ChatPop-Session";
/** Carries the client's address key (from CF-Connecting-IP) for the per-IP socket cap. */
export const CLIENT_IP_HEADER = "X-ChatPop-Client-Ip";

/** The close reason (with 4003) of a socket whose session's login has ended (a logout). */
export const LOGIN_ENDED = "the login of this session has ended; join again";

/**
 * The caller's address key (set by the Worker from CF-Connecting-IP) and, for IPv6, its /48: a /64
 * each costs nothing to whoever holds the block, so caps count the block too.
 */
export function addressOf(request: Request): { ip: string | null; block: string | null } {
  const ip = request.headers.get(CLIENT_IP_HEADER);
  return { ip, block: ip ? (slash48Of(ip)?.key ?? null) : null };
}

/** The Worker-verified claims of an upgrade handed to a room or relay, or the 426 answer to anything else. */
export function upgradeClaims(request: Request): SessionClaims | Response {
  const raw = request.headers.get(CLAIMS_HEADER);
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket" || !raw) {
    return Response.json(new ApiError(426, "UPGRADE_REQUIRED", "Expected a WebSocket upgrade.").toJSON(), { status: 426 });
  }
  return JSON.parse(raw) as SessionClaims;
}

/**
 * Completes the handshake only to close at once with an application close code the client can
 * read (a browser that offered subprotocols fails a handshake that picks none, and sees only 1006).
 */
export function closeUpgrade(code: number, reason: string, offered: string | null | undefined): Response {
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  server.close(code, reason);
  return new Response(null, { status: 101, webSocket: pair[0], headers: protocolAnswer(offered) });
}
