// The WebSocket entry: the Worker checks the session token, then hands the raw
// upgrade to the room's Durable Object, which accepts it with the hibernation API.
import { Hono } from "hono";
import { ApiError } from "../platform/errors";
import { isRoomCode } from "../domain/room-code";
import { verifySessionToken } from "../domain/tokens";
import type { AppEnv } from "../platform/http/context";
import { CLAIMS_HEADER, CLIENT_IP_HEADER, closeUpgrade, LOGIN_ENDED } from "./handoff";
import { isDbUnavailable } from "../platform/db";
import { RELAY_HEADER } from "./relay-protocol";
import { clientIpKey } from "../domain/client-ip";
import { originAllowed } from "../platform/http/origins";
import { CLOSE_BAD_TOKEN, CLOSE_NO_TOKEN } from "../protocol";
import { documented } from "../platform/http/openapi";
import { relayStub, roomStub } from "../platform/room-stub";
import { loginStands } from "../features/rooms/session";
import { SESSION_TOKEN_HEADER } from "../protocol";
import { tokenFromProtocols } from "../protocol";

export const wsRoutes = new Hono<AppEnv>().get(
  "/chat/:code",
  documented({
    summary: "The room's WebSocket",
    tags: ["websocket"],
    description:
      "Connect with `Upgrade: websocket`, the session token as the subprotocol `chatpop.token.<token>` next to `chatpop` (`Sec-WebSocket-Protocol: chatpop, chatpop.token.<token>`), and optionally `?last_seq=n&last_backroom_seq=m`. The `?session_token=` query parameter still works but is discouraged (URLs end up in logs). Frames, close codes (4001, 4003, 4403, 1008, 1009) and resume are in docs/API.md.",
    answers: { 101: { description: "Switching protocols: the socket is open (or closes at once with 4001/4003)" } },
  }),
  async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, "UPGRADE_REQUIRED", "This path is a WebSocket endpoint: connect with `Upgrade: websocket`.");
    }
    // Browsers send Origin: a page from a site not in ALLOWED_ORIGINS may not open the room's socket.
    const origin = c.req.header("Origin");
    if (origin && !originAllowed(c.env.ALLOWED_ORIGINS, origin, c.req.url)) {
      throw new ApiError(403, "ORIGIN_NOT_ALLOWED", "WebSockets from this site are not allowed; add it to ALLOWED_ORIGINS.");
    }
    const code = c.req.param("code");
    const offered = c.req.header("Sec-WebSocket-Protocol");
    const token = tokenFromProtocols(offered) ?? c.req.header(SESSION_TOKEN_HEADER) ?? c.req.query("session_token");
    if (!token) return closeUpgrade(CLOSE_NO_TOKEN, "session token required", offered);
    const claims = isRoomCode(code) ? await verifySessionToken(token, c.env.JWT_SECRET, code) : null;
    if (!claims) return closeUpgrade(CLOSE_BAD_TOKEN, "invalid or expired session token", offered);
    // A logged-in session's login is checked in Postgres; while Postgres is away the room refuses
    // the logins it was told had ended (ended-logins.ts), so readers get back in after a deploy.
    const stands = await loginStands(c.var.db(), claims).catch((e) => {
      if (isDbUnavailable(e)) return true;
      throw e;
    });
    if (!stands) return closeUpgrade(CLOSE_BAD_TOKEN, LOGIN_ENDED, offered);
    const headers = new Headers(c.req.raw.headers);
    // The room and its relays trust only what the Worker sets: a client's own X-ChatPop-* headers go.
    for (const name of [...headers.keys()]) if (name.startsWith("x-chatpop-")) headers.delete(name);
    headers.set(CLAIMS_HEADER, JSON.stringify(claims));
    const ip = clientIpKey(c.req.header("CF-Connecting-IP"));
    if (ip) headers.set(CLIENT_IP_HEADER, ip);
    const answer = await roomStub(c.env, code).fetch(new Request(c.req.raw.url, { headers }));
    // A big room sends the socket to one of its relays (docs/ARCHITECTURE.md, Big rooms): the room picked it and fed it first.
    const relay = answer.headers.get(RELAY_HEADER);
    if (!relay) return answer;
    for (const [name, value] of answer.headers) if (name.toLowerCase().startsWith("x-chatpop-")) headers.set(name, value);
    return relayStub(c.env, relay).fetch(new Request(c.req.raw.url, { headers }));
  },
);
