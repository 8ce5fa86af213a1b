// The one socket server a room (chat-room.ts) and its relays (chat-relay.ts)
// both are: it takes the upgrade, accepts the socket with its caps, says who
// is online, resumes the channels the client asks for, charges and reads
// every frame, answers a send's verdict (queued, refused, kick, close),
// delivers batches with the sender's acknowledgement, and answers closes.
// Nothing here keeps the object awake: no timer, and the alarm only for the
// subclass's jobs with a time (an idle socket is closed only when a new one
// needs its seat, socket-host.ts). The subclass supplies only what differs:
// who may connect (`admitUpgrade`), what a send does (`onSend`), where a
// backlog comes from (`readBacklog`), and its other alarm jobs (`dueJobs`).
import { CLOSE_POLICY, errorFrame, messageFrame, protocolAnswer, type Channel, type PublicMessage } from "../protocol";
import { DurableObject } from "cloudflare:workers";
import type { ApiError } from "../platform/errors";
import type { SessionClaims } from "../domain/tokens";
import { errorText, logEvent } from "../platform/log";
import type { SendInput } from "../features/messages/schemas";
import type { Presence } from "./presence";
import { CatchUp, resumeError, resumeParams } from "./resume";
import { RoomAlarm, earliest } from "./alarm";
import { SocketHost, kick, safeSend, sendError, type SocketState } from "./socket-host";
import { upgradeClaims } from "./handoff";
import type { BacklogAnswer } from "./relay-protocol";
import { settingsOf } from "../platform/settings";

/** What became of a socket's send: queued (its acknowledgement follows in the broadcast), refused, or the socket must go. */
export type SendVerdict = "queued" | "kick" | "close" | ApiError;

/** How an upgrade the server takes is accepted: the socket's own state, and sockets of the room held elsewhere (its relays). */
export interface Placement {
  state?: Partial<SocketState>;
  heldElsewhere?: number;
}

/** A stored message for this server's sockets; `ack` is the sender's socket here, which gets the copy with its client_id. */
export interface Outgoing {
  message: PublicMessage;
  ack: { ws: WebSocket; clientId: string } | null;
  /** A retried send: only its sender gets it back, as the acknowledgement. */
  onlyAck?: boolean;
}

export abstract class SocketServer extends DurableObject<Env> {
  /** The server's clock, for everything it decides by time; tests move it instead of sleeping. */
  now: () => number = Date.now;
  /** The sockets held here: their caps (a silent socket gives up its seat at one) and frame budget. */
  protected readonly sockets: SocketHost;
  /** Sockets reading their resume backlog: live messages wait there, then follow the backlog. */
  protected readonly catchUp = new CatchUp();
  /** The object's one alarm, for the subclass's jobs with a time (alarm.ts). */
  protected readonly alarms: RoomAlarm;
  /** Who is online, told when it changes (the subclass says to whom). */
  protected abstract readonly presence: Presence;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.alarms = new RoomAlarm(ctx.storage);
    this.sockets = new SocketHost(
      ctx,
      settingsOf(env),
      () => this.now(),
      () => this.roomCode(),
      (participationId) => this.abused(participationId),
    );
  }

  /** The room this server serves, for the logs. */
  protected abstract roomCode(): string;
  /** Log fields that say which server this is (a relay's index). */
  protected where(): Record<string, string | number> {
    return {};
  }
  /** An upgrade is refused or sent elsewhere (a Response), or accepted as the Placement says. */
  protected abstract admitUpgrade(request: Request, claims: SessionClaims): Promise<Response | Placement>;
  /** Whether a socket just accepted must be kicked at once (its participant is banned). */
  protected async bannedOnConnect(_claims: SessionClaims): Promise<boolean> {
    return false;
  }
  /** The presence frame a new socket gets first. */
  protected abstract presenceOnConnect(request: Request): string;
  /** Why the socket may not resume the channel, or null. */
  protected async resumeRefusal(_claims: SessionClaims, _channel: Channel): Promise<ApiError | null> {
    return null;
  }
  /** The channel's messages after `afterSeq` for a resuming socket (`source`: where they came from, for the log). */
  protected abstract readBacklog(claims: SessionClaims, channel: Channel, afterSeq: number): Promise<BacklogAnswer & { source?: string }>;
  /** What a socket's send becomes. */
  protected abstract onSend(ws: WebSocket, claims: SessionClaims, input: SendInput): Promise<SendVerdict>;
  /** A participant's socket was closed for flooding. */
  protected abstract abused(participationId: string): void;
  /** The server's other alarm jobs: each does what is due and answers its next wake (null: none). */
  protected async dueJobs(): Promise<(number | null)[]> {
    return [];
  }

  // ---- connect -----------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const claims = upgradeClaims(request);
    if (claims instanceof Response) return claims;
    const placement = await this.admitUpgrade(request, claims);
    if (placement instanceof Response) return placement;
    const { server, client, full } = this.sockets.accept(request, claims, placement.state, placement.heldElsewhere);
    if (full) {
      logEvent("socket_refused", { room: claims.roomCode, reason: full, ...this.where() });
      server.close(CLOSE_POLICY, full);
      this.presence.changed();
    } else if (await this.bannedOnConnect(claims)) {
      kick(server, claims.roomCode);
    } else {
      logEvent("socket_opened", { room: claims.roomCode, participation: claims.participationId, ...this.where() });
      safeSend(server, this.presenceOnConnect(request));
      this.presence.changed();
      await this.startResumes(server, claims, new URL(request.url));
    }
    return new Response(null, { status: 101, webSocket: client, headers: protocolAnswer(request.headers.get("Sec-WebSocket-Protocol")) });
  }

  /** Each channel the client asked to resume: refused, or its backlog sent before the live messages. */
  private async startResumes(ws: WebSocket, claims: SessionClaims, url: URL) {
    for (const r of resumeParams(url)) {
      if ("error" in r) {
        sendError(ws, r.error);
        continue;
      }
      const refusal = await this.resumeRefusal(claims, r.channel);
      if (refusal) {
        sendError(ws, refusal);
        continue;
      }
      this.catchUp.start(ws, r.channel);
      void this.resume(ws, claims, r.channel, r.lastSeq);
    }
  }

  /** Sends the socket the channel's messages after `afterSeq`, then what arrived live meanwhile. */
  private async resume(ws: WebSocket, claims: SessionClaims, channel: Channel, afterSeq: number) {
    let source: string | null = null;
    const upTo = await this.catchUp.run(
      ws,
      channel,
      afterSeq,
      async () => {
        const backlog = await this.readBacklog(claims, channel, afterSeq);
        source = backlog.source ?? "room";
        return backlog;
      },
      (e) => {
        const error = resumeError(e);
        // A refusal (say, the back room for a non-member, judged by the room for a relay) is no fault.
        if (error.status >= 500) logEvent("resume_failed", { room: claims.roomCode, channel, ...this.where(), error: errorText(e) });
        else logEvent("resume_refused", { room: claims.roomCode, channel, ...this.where(), code: error.code });
        return errorFrame(error.toJSON());
      },
    );
    if (source) logEvent("socket_resumed", { room: claims.roomCode, channel, from: source, after_seq: afterSeq, to_seq: upTo, ...this.where() });
  }

  // ---- message -----------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const read = this.sockets.read(ws, data);
    if (!read) return;
    const verdict = await this.onSend(ws, read.claims, read.input);
    if (verdict === "close") this.sockets.closeForAbuse(ws, read.claims.participationId, "messages");
    else if (verdict === "kick") {
      kick(ws, this.roomCode());
      this.presence.changed();
    } else if (verdict !== "queued") sendError(ws, verdict, read.input.client_id);
  }

  /**
   * Every socket of the audience gets each message in order (held for one still reading its
   * backlog); the sender's socket gets the copy with its client_id. Answers the frames sent.
   */
  protected sendMessages(channel: Channel, audience: WebSocket[], messages: Outgoing[]): number {
    let sent = 0;
    for (const m of messages) {
      const own = m.ack ? messageFrame(m.message, m.ack.clientId) : null;
      if (m.onlyAck) {
        if (m.ack && own) this.sendLive(m.ack.ws, channel, m.message.seq, own);
        sent += m.ack ? 1 : 0;
        continue;
      }
      // One serialisation per message, whatever the audience.
      const plain = messageFrame(m.message);
      for (const ws of audience) this.sendLive(ws, channel, m.message.seq, own && ws === m.ack?.ws ? own : plain);
      sent += audience.length;
    }
    return sent;
  }

  private sendLive(ws: WebSocket, channel: Channel, seq: number, frame: string) {
    if (!this.catchUp.hold(ws, channel, seq, frame)) safeSend(ws, frame);
  }

  // ---- host powers -------------------------------------------------------

  /** Kicks these participants' sockets held here (a ban); answers how many went. */
  protected kickHere(participationIds: string[]): number {
    const kicked = this.sockets.kickAll(participationIds);
    if (kicked > 0) this.presence.changed();
    return kicked;
  }

  /** Closes the sockets held here of a login that ended (logout); answers how many closed. */
  protected endLoginHere(authSessionId: string): number {
    const closed = this.sockets.endLogin(authSessionId);
    if (closed > 0) this.presence.changed();
    return closed;
  }

  // ---- alarm and close ---------------------------------------------------

  /** One alarm for the subclass's jobs; it rings next at the earliest of their wakes (none: it stays unset). */
  override async alarm(): Promise<void> {
    const next = earliest(await this.dueJobs());
    // "No later than": a job may have asked for an earlier wake while these ran.
    if (next !== null) await this.alarms.noLaterThan(next);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.sockets.answerClose(ws, code, reason);
    this.presence.changed();
  }

  override async webSocketError(_ws: WebSocket): Promise<void> {
    logEvent("socket_error", { room: this.roomCode(), ...this.where() });
  }
}
