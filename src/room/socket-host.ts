// What a room and its relays (chat-relay.ts) do alike with the sockets they
// hold: accept them with the tags the caps count by, charge and read every
// frame, close the ones that go silent, and count who is online. One copy, so
// a socket gets the same rules whichever object holds it.
import {
  CLOSE_BAD_TOKEN,
  CLOSE_BANNED,
  CLOSE_IDLE,
  CLOSE_NORMAL,
  CLOSE_POLICY,
  CLOSE_TOO_LARGE,
  PING_TEXT,
  PONG_TEXT,
  RESERVED_CLOSE_CODES,
  errorFrame,
  kickedFrame,
} from "../protocol";
import { ApiError } from "../platform/errors";
import { FRAME_MAX_BYTES } from "../domain/limits";
import type { SessionClaims } from "../domain/tokens";
import { Allowances } from "../domain/send-limit";
import { BLOCK_BUDGET } from "../domain/rate-limits";
import { limitsOf, type Settings } from "../platform/settings";
import { textProblem } from "../domain/text";
import { logEvent } from "../platform/log";
import type { SendInput } from "../features/messages/schemas";
import { parseClientFrame } from "./client-frames";
import { addressOf, LOGIN_ENDED } from "./handoff";
import { sessionEnded } from "../features/rooms/standing";


/** What each socket remembers across hibernation (serializeAttachment, ≤ 16 KiB). */
export interface SocketState {
  claims: SessionClaims;
  connectedAt: number;
  /** When the socket last sent a frame, as of the last time this was saved (at most once a minute). */
  activeAt?: number;
  /** A relay's name for the socket, so the room can address its acknowledgement (relays only). */
  id?: string;
}

/** How often a socket's last activity is saved into its attachment (it survives hibernation there). */
const ACTIVITY_SAVE_MS = 60_000;

export interface Accepted {
  server: WebSocket;
  client: WebSocket;
  claims: SessionClaims;
  /** Why the socket may not stay (a cap is reached), or null. */
  full: string | null;
}

export class SocketHost {
  /** Each participant's frame allowance: every frame it sends, of any kind, on any of its sockets here. */
  private readonly frameAllowance: Allowances;
  /** When each socket last sent a frame (its attachment keeps a copy, saved now and then). */
  private readonly lastFrameAt = new WeakMap<WebSocket, number>();
  /** Sockets this object closed and whose client has not finished the close (their frames still come). */
  private readonly closing = new WeakSet<WebSocket>();
  /** Each socket's state as its attachment holds it, read once per wake instead of once per frame. */
  private readonly states = new WeakMap<WebSocket, SocketState>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly settings: Settings,
    private readonly now: () => number,
    /** The room code, for the logs. */
    private readonly code: () => string,
    /** A participant's socket was closed for flooding (the room then refuses its connects a while). */
    private readonly abused: (participationId: string) => void,
  ) {
    this.frameAllowance = new Allowances(limitsOf(settings).frame, now);
    // Keep-alives are answered by the runtime without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
  }

  /**
   * Completes the client's close handshake. A close without a status code arrives as 1005, which
   * may not be sent back (ws.close(1005) throws and the client would never see its close event).
   */
  answerClose(ws: WebSocket, code: number, reason: string) {
    logEvent("socket_closed", { room: this.code(), code });
    if (RESERVED_CLOSE_CODES.includes(code)) safeClose(ws, CLOSE_NORMAL, "");
    else safeClose(ws, code, reason);
  }

  /**
   * Accepts the upgrade's socket (hibernation API) with the tags the caps count: participant,
   * address, /48. `heldElsewhere`: the room's sockets on its relays, which count towards its cap.
   */
  accept(request: Request, claims: SessionClaims, state: Partial<SocketState> = {}, heldElsewhere = 0): Accepted {
    const { ip, block } = addressOf(request);
    const ipTag = `ip:${ip ?? "unknown"}`;
    const blockTag = block ? `block:${block}` : null;
    const pair = new WebSocketPair();
    const server = pair[1];
    const tags = [claims.participationId, ipTag, ...(blockTag ? [blockTag] : []), ...(state.id ? [socketTag(state.id)] : [])];
    this.ctx.acceptWebSocket(server, tags);
    this.save(server, { ...state, claims, connectedAt: this.now() });
    return { server, client: pair[0], claims, full: this.seatFor(server, claims.participationId, ipTag, blockTag, heldElsewhere) };
  }

  /** Closes a flooding participant's socket (1008): too many frames, or sends past its allowance. */
  closeForAbuse(ws: WebSocket, participationId: string, what: "frames" | "messages") {
    logEvent("socket_closed_for_abuse", { room: this.code(), reason: what });
    this.closing.add(ws);
    safeClose(ws, CLOSE_POLICY, `too many ${what}`);
    this.abused(participationId);
  }

  /** The socket's saved state (null for a socket accepted before attachments existed). */
  stateOf(ws: WebSocket): SocketState | null {
    let state = this.states.get(ws);
    if (!state) {
      state = (ws.deserializeAttachment() as SocketState | null) ?? undefined;
      if (state) this.states.set(ws, state);
    }
    return state ?? null;
  }

  /** Saves the socket's state into its attachment (it survives hibernation there) and keeps it at hand. */
  private save(ws: WebSocket, state: SocketState) {
    ws.serializeAttachment(state);
    this.states.set(ws, state);
  }

  /** The open socket a relay named `id`, if it is still here. */
  byId(id: string): WebSocket | undefined {
    return this.ctx.getWebSockets(socketTag(id))[0];
  }

  /**
   * Charges a frame to its sender and reads it: a send comes back; anything else (a ping, an
   * invalid frame, a frame over budget) is answered or dropped here and comes back as null.
   */
  read(ws: WebSocket, data: string | ArrayBuffer): { claims: SessionClaims; input: SendInput } | null {
    // A socket the room is closing (a flooder's, say) still has frames on their way, and the runtime
    // hands over every one: each must cost nothing but this check.
    if (this.closing.has(ws) || ws.readyState !== WebSocket.OPEN) return null;
    if (frameBytes(data) > FRAME_MAX_BYTES) {
      ws.close(CLOSE_TOO_LARGE, `frames can be at most ${FRAME_MAX_BYTES} bytes`);
      return null;
    }
    // Every frame costs its sender, whatever it is (a ping spelled otherwise, garbage, a send): one
    // budget per participant across its sockets. Over it a frame goes unanswered; a sender that keeps
    // on is closed. (The exact keep-alive text never gets here: the runtime answers it.)
    const state = this.stateOf(ws);
    if (!state) return null;
    const frames = this.frameAllowance.take(state.claims.participationId);
    if (frames === "abusive") {
      this.closeForAbuse(ws, state.claims.participationId, "frames");
      return null;
    }
    if (frames === "limited") return null;
    this.touched(ws, state);
    if (typeof data !== "string") {
      sendError(ws, new ApiError(400, "INVALID_FRAME", "Frames must be JSON text, not binary."));
      return null;
    }
    let frame;
    try {
      frame = parseClientFrame(data);
    } catch (e) {
      if (e instanceof ApiError) sendError(ws, e, clientIdOf(data));
      else throw e;
      return null;
    }
    if (frame.kind === "ping") {
      safeSend(ws, PONG_TEXT);
      return null;
    }
    return { claims: state.claims, input: frame.input };
  }

  /** Distinct participants with an open socket here (a kicked or closing socket no longer counts). */
  participantsOnline(): number {
    const ids = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const state = this.stateOf(ws);
      if (state) ids.add(state.claims.participationId);
    }
    return ids.size;
  }

  /** Kicks every socket of these participants; answers how many went. */
  kickAll(participationIds: string[]): number {
    let kicked = 0;
    for (const participationId of participationIds) {
      for (const ws of this.ctx.getWebSockets(participationId)) {
        kick(ws, this.code());
        kicked++;
      }
    }
    return kicked;
  }

  /**
   * Closes every socket opened under this login (it logged out): an error frame first, since a
   * close from outside the socket's own event may never complete on the client, then 4003.
   */
  endLogin(authSessionId: string): number {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if (this.stateOf(ws)?.claims.authSessionId !== authSessionId) continue;
      sendError(ws, sessionEnded());
      safeClose(ws, CLOSE_BAD_TOKEN, LOGIN_ENDED);
      closed++;
    }
    if (closed > 0) logEvent("sockets_closed_logout", { room: this.code(), count: closed });
    return closed;
  }

  /** Notes a socket's frame; saved into its attachment at most once a minute, so it survives hibernation. */
  private touched(ws: WebSocket, state: SocketState) {
    const now = this.now();
    this.lastFrameAt.set(ws, now);
    if (now - (state.activeAt ?? state.connectedAt) >= ACTIVITY_SAVE_MS) this.save(ws, { ...state, activeAt: now });
  }

  /**
   * Why a new socket cannot stay, or null. Each cap counts the open sockets of its scope (the room,
   * with `heldElsewhere` on its relays; the address; its /48; the participant). At a cap, sockets of
   * that scope silent for SOCKET_IDLE_SECONDS give up their seats, longest silent first, so nobody
   * holds seats by sitting on them, and a silent reader keeps its socket while seats are free.
   */
  private seatFor(newcomer: WebSocket, participationId: string, ipTag: string, blockTag: string | null, heldElsewhere: number): string | null {
    const { MAX_SOCKETS_PER_ROOM, MAX_SOCKETS_PER_IP, MAX_SOCKETS_PER_PARTICIPANT } = this.settings;
    const caps: { tag?: string; max: number; reason: string }[] = [
      { max: MAX_SOCKETS_PER_ROOM - heldElsewhere, reason: "room is full" },
      { tag: ipTag, max: MAX_SOCKETS_PER_IP, reason: "too many connections from your address" },
      ...(blockTag ? [{ tag: blockTag, max: MAX_SOCKETS_PER_IP * BLOCK_BUDGET[48], reason: "too many connections from your network" }] : []),
      { tag: participationId, max: MAX_SOCKETS_PER_PARTICIPANT, reason: "too many connections for one participant" },
    ];
    for (const cap of caps) {
      const open = this.ctx.getWebSockets(cap.tag).filter((ws) => ws.readyState === WebSocket.OPEN && !this.closing.has(ws));
      const over = open.length - cap.max;
      if (over > 0 && !this.freeSeats(open.filter((ws) => ws !== newcomer), over)) return cap.reason;
    }
    return null;
  }

  /** Closes the `count` longest-silent of these sockets (4408) if that many have been silent long enough; otherwise none. */
  private freeSeats(sockets: WebSocket[], count: number): boolean {
    const now = this.now();
    const idleMs = this.settings.SOCKET_IDLE_SECONDS * 1000;
    const idle = sockets
      .map((ws) => ({ ws, last: this.lastActive(ws) }))
      .filter((s) => now - s.last >= idleMs)
      .sort((a, b) => a.last - b.last)
      .slice(0, count);
    if (idle.length < count) return false;
    for (const { ws } of idle) {
      this.closing.add(ws);
      safeClose(ws, CLOSE_IDLE, "idle: a new connection needed the seat");
    }
    logEvent("sockets_closed_idle", { room: this.code(), count: idle.length });
    return true;
  }

  /** When the socket last showed life: a frame, a keep-alive the runtime answered, or its connect. */
  private lastActive(ws: WebSocket): number {
    const state = this.stateOf(ws);
    const ping = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    return Math.max(this.lastFrameAt.get(ws) ?? 0, state?.activeAt ?? 0, state?.connectedAt ?? 0, ping);
  }
}

const socketTag = (id: string) => `sock:${id}`;


/** Tells a banned participant's socket why, then closes it with 4403. */
export function kick(ws: WebSocket, room: string) {
  safeSend(ws, kickedFrame("You have been removed from this room by the host."));
  try {
    ws.close(CLOSE_BANNED, "banned from this room");
  } catch {
    // already closed
  }
  logEvent("socket_kicked", { room });
}

/** An error frame for this socket, in the API's error shape; the sender's client_id lets it match the error. */
export function sendError(ws: WebSocket, err: ApiError, clientId?: string | null) {
  safeSend(ws, errorFrame(err.toJSON(), clientId));
}

export function safeSend(ws: WebSocket, frame: string) {
  try {
    ws.send(frame);
  } catch {
    // the socket closed meanwhile; its close handler tidies up
  }
}

/** Closes a socket, ignoring one that is closed already. */
export function safeClose(ws: WebSocket, code: number, reason: string) {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

function frameBytes(data: string | ArrayBuffer): number {
  if (typeof data !== "string") return data.byteLength;
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long strings need an exact count.
  return data.length * 3 <= FRAME_MAX_BYTES ? data.length : new TextEncoder().encode(data).byteLength;
}

/** Best effort: echo the client_id of a refused frame so the client can match the error. */
function clientIdOf(text: string): string | null {
  try {
    const v = (JSON.parse(text) as { client_id?: unknown })?.client_id;
    return typeof v === "string" && v.length <= 64 && textProblem(v) === null ? v : null;
  } catch {
    return null;
  }
}
