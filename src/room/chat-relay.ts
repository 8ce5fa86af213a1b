// ChatRelay: holds listeners' sockets for a room past RELAY_AFTER_SOCKETS, so the
// room's one thread does not send every frame to every socket. Named
// `{code}:{n}`; it never writes: sends go to the room (ChatRoom.relaySubmit),
// and the room hands it each stored batch once (deliver), in the room's order.
// Its sockets get the same guarantees as the room's own: seq order without
// gaps, acknowledgements with client_id, resume with last_seq (the backlog is
// read by the room), kicks, the back room only for members, hibernation.
import { CLOSE_BAD_TOKEN, CLOSE_POLICY, CLOSE_RESTART, errorFrame, messageFrame, presenceFrame, protocolAnswer, type Channel } from "../protocol";
import { DurableObject } from "cloudflare:workers";
import { ApiError } from "../platform/errors";
import { asApiError, done, refused, type RoomResult } from "../platform/rpc-result";
import type { SessionClaims } from "../domain/tokens";
import { errorText, logEvent } from "../platform/log";
import { roomStub } from "../platform/room-stub";
import { Presence } from "./presence";
import { CatchUp, resumeError, resumeParams } from "./resume";
import { alarmNoLaterThan } from "./alarm";
import { SocketHost, closeUpgrade, kick, safeClose, safeSend, sendError, upgradeClaims } from "./socket-host";
import { PRESENCE_HEADER, parseRelayName, type BacklogAnswer, type RelayBatch, type RelayMessage, type RelaySendOutcome } from "./relay-protocol";

/** Storage key of the newest seq each channel delivered (to see a batch the room could not deliver). */
const DELIVERED_KEY = "delivered";
/** Storage key of how many upgrades the room placed here have arrived (see RelayReport.arrived). */
const ARRIVED_KEY = "arrived";

export class ChatRelay extends DurableObject<Env> {
  /** The room this relay serves and its index, from the object's name (null: a name no room has). */
  private readonly self: { code: string; index: number } | null;
  private readonly sockets: SocketHost;
  private readonly catchUp = new CatchUp();
  private readonly presence: Presence;
  /** The newest seq each channel delivered to this relay's sockets (missing: none yet). */
  private delivered: Partial<Record<Channel, number>> = {};
  /** Upgrades that reached this relay, accepted or refused: the room counts the rest as on their way. */
  private arrived = 0;
  now: () => number = Date.now;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.self = parseRelayName(ctx.id.name);
    this.sockets = new SocketHost(
      ctx,
      env,
      () => this.now(),
      () => this.self?.code ?? "?",
      // Every upgrade reaches the room first: it is the one to hold the flooder off.
      (participationId) =>
        void this.room()
          .relayAbuse(this.ctx.id.name!, participationId)
          .catch((e) => logEvent("relay_report_failed", { room: this.self?.code ?? "?", error: errorText(e) })),
    );
    // The relay's count goes to the room, which tells everyone the sum.
    // The room counts this relay's sockets towards its cap from the reports: a socket opening or
    // closing is reported even when the participant count stays the same.
    this.presence = new Presence(
      () => this.sockets.participantsOnline(),
      (participants) => this.reportToRoom(participants),
      () => `${this.sockets.participantsOnline()}/${this.ctx.getWebSockets().length}/${this.arrived}`,
    );
    ctx.blockConcurrencyWhile(async () => {
      this.delivered = (await ctx.storage.get<Partial<Record<Channel, number>>>(DELIVERED_KEY)) ?? {};
      this.arrived = (await ctx.storage.get<number>(ARRIVED_KEY)) ?? 0;
    });
  }

  // ---- connect -----------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const claims = upgradeClaims(request);
    if (claims instanceof Response) return claims;
    if (!this.self || claims.roomCode !== this.self.code) {
      // A socket for another room (or a relay name of no room): nothing of this relay reaches it.
      logEvent("relay_refused", { room: claims.roomCode, relay: this.ctx.id.name ?? "", reason: this.self ? "socket_for_another_room" : "bad_relay_name" });
      return closeUpgrade(CLOSE_BAD_TOKEN, "this relay serves another room", request.headers.get("Sec-WebSocket-Protocol"));
    }
    // Every upgrade of this room's here was placed (and counted) by the room: it has arrived.
    this.arrived++;
    void this.ctx.storage.put(ARRIVED_KEY, this.arrived);
    const { server, client, full } = this.sockets.accept(request, claims, { id: crypto.randomUUID() });
    void alarmNoLaterThan(this.ctx.storage, this.now() + this.sockets.idleMs());
    if (full) {
      logEvent("socket_refused", { room: claims.roomCode, reason: full, relay: this.self.index });
      server.close(CLOSE_POLICY, full);
      this.presence.changed();
    } else {
      logEvent("socket_opened", { room: claims.roomCode, participation: claims.participationId, relay: this.self.index });
      safeSend(server, presenceFrame(Number(request.headers.get(PRESENCE_HEADER)) || 1));
      this.presence.changed();
      for (const r of resumeParams(new URL(request.url))) {
        if ("error" in r) {
          sendError(server, r.error);
          continue;
        }
        this.catchUp.start(server, r.channel);
        void this.resume(server, claims, r.channel, r.lastSeq);
      }
    }
    return new Response(null, { status: 101, webSocket: client, headers: protocolAnswer(request.headers.get("Sec-WebSocket-Protocol")) });
  }

  // ---- message -----------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const read = this.sockets.read(ws, data);
    if (!read || !this.self) return;
    const socket = this.sockets.stateOf(ws)?.id;
    if (!socket) return;
    // Typed here: the RPC stub's types drop the refusal's open-ended `details`.
    let answer: RelaySendOutcome;
    try {
      answer = (await this.room().relaySubmit(this.ctx.id.name!, read.claims, read.input, socket)) as RelaySendOutcome;
    } catch (e) {
      logEvent("relay_submit_failed", { room: this.self.code, error: errorText(e) });
      sendError(ws, new ApiError(503, "INTERNAL_ERROR", "The room could not take the message just now; send it again with the same client_id."), read.input.client_id);
      return;
    }
    // A queued send's acknowledgement comes back through deliver, in its place among the others.
    if (answer.outcome === "refused") sendError(ws, asApiError(answer.error), read.input.client_id);
    else if (answer.outcome === "kick") {
      kick(ws, this.self.code);
      this.presence.changed();
    } else if (answer.outcome === "close") {
      this.sockets.closeForAbuse(ws, read.claims.participationId, "messages");
    }
  }

  // ---- from the room -----------------------------------------------------

  /** A batch from the room: every message and frame goes to this relay's sockets that may see it, in order. */
  async deliver(batch: RelayBatch): Promise<RoomResult<{ delivered: number }>> {
    if (!this.self || batch.room !== this.self.code) {
      logEvent("relay_refused", { room: batch.room, relay: this.ctx.id.name ?? "", reason: "batch_from_another_room" });
      return refused(new ApiError(403, "NOT_ALLOWED", "A relay takes batches from its own room only."));
    }
    const members = new Set(batch.backroom ?? []);
    const sees = (ws: WebSocket, channel: Channel | "all") => {
      if (channel !== "backroom") return true;
      const claims = this.sockets.stateOf(ws)?.claims;
      return !!claims && (claims.isHost || members.has(claims.participationId));
    };
    const sockets = this.ctx.getWebSockets();
    // A relay without sockets has nothing to heal: it starts over from this batch.
    if (sockets.length === 0) this.delivered = {};
    let sent = 0;
    for (const item of batch.items) {
      if (item.kind === "frame") {
        for (const ws of sockets) if (sees(ws, item.channel)) safeSend(ws, item.frame);
        continue;
      }
      const audience = sockets.filter((ws) => sees(ws, item.channel));
      const last = this.delivered[item.channel];
      // A batch delivered twice (the room retried after a lost answer) sends nothing twice.
      const messages = item.messages.filter((m) => m.onlyAck || last === undefined || m.message.seq > last);
      const fresh = messages.filter((m) => !m.onlyAck);
      const first = fresh[0]?.message.seq;
      if (last !== undefined && first !== undefined && first > last + 1) await this.heal(item.channel, last, first, audience);
      for (const m of messages) sent += this.broadcast(item.channel, m, audience);
      const newest = fresh.at(-1)?.message.seq;
      if (newest !== undefined && newest > (this.delivered[item.channel] ?? 0)) this.delivered[item.channel] = newest;
    }
    void this.ctx.storage.put(DELIVERED_KEY, this.delivered);
    return done({ delivered: sent });
  }

  /** Kicks these participants' sockets (a ban); answers how many closed. */
  async kick(room: string, participationIds: string[]): Promise<number> {
    if (!this.fromOwnRoom(room, "kick")) return 0;
    const kicked = this.sockets.kickAll(participationIds);
    if (kicked > 0) this.presence.changed();
    return kicked;
  }

  /** Closes the sockets of a login that ended (logout); answers how many closed. */
  async endLogin(room: string, authSessionId: string): Promise<number> {
    if (!this.fromOwnRoom(room, "end_login")) return 0;
    const closed = this.sockets.endLogin(authSessionId);
    if (closed > 0) this.presence.changed();
    return closed;
  }

  // ---- close -------------------------------------------------------------

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.sockets.answerClose(ws, code, reason);
    this.presence.changed();
  }

  override async alarm(): Promise<void> {
    const { next, closed } = this.sockets.closeIdle();
    if (closed > 0) this.presence.changed();
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  // ---- below -------------------------------------------------------------

  /** Whether a call that closes sockets comes from this relay's own room (anything else is refused and logged). */
  private fromOwnRoom(room: string, what: string): boolean {
    if (this.self && room === this.self.code) return true;
    logEvent("relay_refused", { room, relay: this.ctx.id.name ?? "", reason: `${what}_from_another_room` });
    return false;
  }

  /** One stub for the relay's life: calls over one stub arrive in the order they were made, so a socket's sends keep theirs. */
  private room() {
    this.roomStub ??= roomStub(this.env, this.self!.code);
    return this.roomStub;
  }

  private roomStub: ReturnType<typeof roomStub> | undefined;

  /** One message to the sockets that see its channel; the sender's socket gets the copy with its client_id. */
  private broadcast(channel: Channel, m: RelayMessage, sockets: WebSocket[]): number {
    const own = m.ack ? this.sockets.byId(m.ack.socket) : undefined;
    const ownFrame = m.ack ? messageFrame(m.message, m.ack.clientId) : null;
    if (m.onlyAck) {
      if (own && ownFrame) this.send(own, channel, m.message.seq, ownFrame);
      return own ? 1 : 0;
    }
    const plain = messageFrame(m.message);
    for (const ws of sockets) this.send(ws, channel, m.message.seq, ws === own && ownFrame ? ownFrame : plain);
    return sockets.length;
  }

  private send(ws: WebSocket, channel: Channel, seq: number, frame: string) {
    if (!this.catchUp.hold(ws, channel, seq, frame)) safeSend(ws, frame);
  }

  /**
   * The room could not deliver a batch (it gave up after retries): the messages between the last
   * one delivered and this batch are read from the room and sent first, so no socket sees a hole.
   */
  private async heal(channel: Channel, last: number, next: number, sockets: WebSocket[]) {
    logEvent("relay_healing", { room: this.self!.code, channel, after_seq: last, missing: next - last - 1 });
    try {
      const { messages } = await this.backlog(null, channel, last);
      for (const message of messages) if (message.seq < next) this.broadcast(channel, { message }, sockets);
    } catch (e) {
      // Without the missing messages its sockets would have a hole: they reconnect and resume instead.
      logEvent("relay_heal_failed", { room: this.self!.code, channel, error: errorText(e) });
      for (const ws of sockets) safeClose(ws, CLOSE_RESTART, "the relay lost messages: reconnect to resume");
    }
  }

  /** Sends the socket what it missed since `afterSeq` (read by the room), then what arrived live meanwhile. */
  private async resume(ws: WebSocket, claims: SessionClaims, channel: Channel, afterSeq: number) {
    const upTo = await this.catchUp.run(
      ws,
      channel,
      afterSeq,
      () => this.backlog(claims, channel, afterSeq),
      (e) => errorFrame(resumeError(e).toJSON()),
    );
    logEvent("socket_resumed", { room: claims.roomCode, channel, after_seq: afterSeq, to_seq: upTo, relay: this.self!.index });
  }

  /** A backlog read from the room page by page (each answer about RELAY_PAGE_BYTES), as one. */
  private async backlog(claims: SessionClaims | null, channel: Channel, afterSeq: number): Promise<BacklogAnswer> {
    const all: BacklogAnswer = { gap: null, messages: [] };
    let after = afterSeq;
    let until: number | null = null;
    do {
      const result = (await this.room().relayBacklog(this.ctx.id.name!, claims, channel, after, until)) as RoomResult<BacklogAnswer>;
      if (!result.ok) throw asApiError(result.error);
      const page = result.value;
      all.gap ??= page.gap;
      all.messages.push(...page.messages);
      until = page.until ?? null;
      after = page.messages.at(-1)?.seq ?? after;
    } while (until !== null && after < until);
    return all;
  }

  private reportToRoom(participants: number) {
    const sockets = this.ctx.getWebSockets().length;
    void this.room()
      .relayReport(this.ctx.id.name!, { participants, sockets, arrived: this.arrived })
      .catch((e) => logEvent("relay_report_failed", { room: this.self!.code, error: errorText(e) }));
  }
}
