// ChatRelay: holds listeners' sockets for a room past RELAY_AFTER_SOCKETS, so the
// room's one thread does not send every frame to every socket. Named
// `{code}:{n}`; it never writes: sends go to the room (ChatRoom.relaySubmit),
// and the room hands it each stored batch once (deliver), in the room's order.
// It is the same socket server as the room (socket-server.ts), so its sockets
// get the same guarantees: seq order without gaps, acknowledgements with
// client_id, resume with last_seq (the backlog is read by the room), kicks,
// the back room only for members, hibernation.
import { CLOSE_BAD_TOKEN, CLOSE_RESTART, presenceFrame, type Channel } from "../protocol";
import { ApiError } from "../platform/errors";
import { asApiError, done, refused, type RoomResult } from "../platform/rpc-result";
import type { SessionClaims } from "../domain/tokens";
import { errorText, logEvent } from "../platform/log";
import type { SendInput } from "../features/messages/schemas";
import { Presence } from "./presence";
import { safeClose, safeSend } from "./socket-host";
import { closeUpgrade } from "./handoff";
import { SocketServer, type Outgoing, type Placement, type SendVerdict } from "./socket-server";
import { PRESENCE_HEADER, parseRelayName, relayRefused, type BacklogAnswer, type RelayBatch, type RelayMessage } from "./relay-protocol";
import { roomRpc, type RelayRpc, type RoomRpc } from "./rpc";

/** Storage key of the newest seq each channel delivered (to see a batch the room could not deliver). */
const DELIVERED_KEY = "delivered";
/** Storage key of how many upgrades the room placed here have arrived (see RelayReport.arrived). */
const ARRIVED_KEY = "arrived";

export class ChatRelay extends SocketServer implements RelayRpc {
  /** The room this relay serves and its index, from the object's name (null: a name no room has). */
  private readonly self: { code: string; index: number } | null;
  protected readonly presence: Presence;
  /** The newest seq each channel delivered to this relay's sockets (missing: none yet). */
  private delivered: Partial<Record<Channel, number>> = {};
  /** Upgrades that reached this relay, accepted or refused: the room counts the rest as on their way. */
  private arrived = 0;
  /** One stub for the relay's life: calls over one stub arrive in the order they were made, so a socket's sends keep theirs. */
  private roomStub: RoomRpc | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.self = parseRelayName(ctx.id.name);
    // The relay's count goes to the room, which tells everyone the sum. The room counts this
    // relay's sockets towards its cap from the reports: a socket opening or closing is reported
    // even when the participant count stays the same.
    this.presence = new Presence(
      () => this.sockets.participantsOnline(),
      (participants) => this.reportToRoom(participants),
      () => `${this.sockets.participantsOnline()}/${this.ctx.getWebSockets().length}/${this.arrived}`,
      () => this.now(),
    );
    ctx.blockConcurrencyWhile(async () => {
      this.delivered = (await ctx.storage.get<Partial<Record<Channel, number>>>(DELIVERED_KEY)) ?? {};
      this.arrived = (await ctx.storage.get<number>(ARRIVED_KEY)) ?? 0;
    });
  }

  protected roomCode(): string {
    return this.self?.code ?? "?";
  }

  protected override where() {
    return { relay: this.self?.index ?? -1 };
  }

  // ---- connect -----------------------------------------------------------

  /** Only sockets of this relay's room; each one the room placed here has now arrived. */
  protected async admitUpgrade(request: Request, claims: SessionClaims): Promise<Response | Placement> {
    if (!this.self || claims.roomCode !== this.self.code) {
      // A socket for another room (or a relay name of no room): nothing of this relay reaches it.
      logEvent("relay_refused", { room: claims.roomCode, relay: this.ctx.id.name ?? "", reason: this.self ? "socket_for_another_room" : "bad_relay_name" });
      return closeUpgrade(CLOSE_BAD_TOKEN, "this relay serves another room", request.headers.get("Sec-WebSocket-Protocol"));
    }
    this.arrived++;
    void this.ctx.storage.put(ARRIVED_KEY, this.arrived);
    return { state: { id: crypto.randomUUID() } };
  }

  /** The room's count at placement (the relay's own reports reach the room, not back here). */
  protected presenceOnConnect(request: Request): string {
    return presenceFrame(Number(request.headers.get(PRESENCE_HEADER)) || 1);
  }

  // ---- sends -------------------------------------------------------------

  /** A send goes to the room; a queued send's acknowledgement comes back through deliver, in its place among the others. */
  protected async onSend(ws: WebSocket, claims: SessionClaims, input: SendInput): Promise<SendVerdict> {
    const socket = this.sockets.stateOf(ws)?.id;
    if (!socket || !this.self) return "queued";
    try {
      const answer = await this.room().relaySubmit(this.ctx.id.name!, claims, input, socket);
      return answer.outcome === "refused" ? asApiError(answer.error) : answer.outcome;
    } catch (e) {
      logEvent("relay_submit_failed", { room: this.self.code, relay: this.self.index, error: errorText(e) });
      return new ApiError(500, "INTERNAL_ERROR", "The room could not take the message just now; send it again with the same client_id.");
    }
  }

  /** Every upgrade reaches the room first: it is the one to hold the flooder off. */
  protected abused(participationId: string): void {
    void this.room()
      .relayAbuse(this.ctx.id.name!, participationId)
      .catch((e) => logEvent("relay_report_failed", { room: this.roomCode(), error: errorText(e) }));
  }

  // ---- from the room -----------------------------------------------------

  /** A batch from the room: every message and frame goes to this relay's sockets that may see it, in order. */
  async deliver(batch: RelayBatch): Promise<RoomResult<{ delivered: number }>> {
    if (!this.self || batch.room !== this.self.code) {
      logEvent("relay_refused", { room: batch.room, relay: this.ctx.id.name ?? "", reason: "batch_from_another_room" });
      return refused(relayRefused("A relay takes batches from its own room only."));
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
      const audience = item.channel === "main" ? sockets : sockets.filter((ws) => sees(ws, item.channel));
      const last = this.delivered[item.channel];
      // A batch delivered twice (the room retried after a lost answer) sends nothing twice.
      const messages = item.messages.filter((m) => m.onlyAck || last === undefined || m.message.seq > last);
      const fresh = messages.filter((m) => !m.onlyAck);
      const first = fresh[0]?.message.seq;
      if (last !== undefined && first !== undefined && first > last + 1) await this.heal(item.channel, last, first, audience);
      sent += this.sendMessages(item.channel, audience, messages.map((m) => this.outgoing(m)));
      const newest = fresh.at(-1)?.message.seq;
      if (newest !== undefined && newest > (this.delivered[item.channel] ?? 0)) this.delivered[item.channel] = newest;
    }
    void this.ctx.storage.put(DELIVERED_KEY, this.delivered);
    return done({ delivered: sent });
  }

  /** Kicks these participants' sockets (a ban); answers how many closed. */
  async kick(room: string, participationIds: string[]): Promise<number> {
    return this.fromOwnRoom(room, "kick") ? this.kickHere(participationIds) : 0;
  }

  /** Closes the sockets of a login that ended (logout); answers how many closed. */
  async endLogin(room: string, authSessionId: string): Promise<number> {
    return this.fromOwnRoom(room, "end_login") ? this.endLoginHere(authSessionId) : 0;
  }

  // ---- below -------------------------------------------------------------

  /** Whether a call that closes sockets comes from this relay's own room (anything else is refused and logged). */
  private fromOwnRoom(room: string, what: string): boolean {
    if (this.self && room === this.self.code) return true;
    logEvent("relay_refused", { room, relay: this.ctx.id.name ?? "", reason: `${what}_from_another_room` });
    return false;
  }

  private room(): RoomRpc {
    this.roomStub ??= roomRpc(this.env, this.self!.code);
    return this.roomStub;
  }

  /** A message as the room sent it, with the sender's socket here (if it is still open) for the acknowledgement. */
  private outgoing(m: RelayMessage): Outgoing {
    const ws = m.ack ? this.sockets.byId(m.ack.socket) : undefined;
    return { message: m.message, ack: ws && m.ack ? { ws, clientId: m.ack.clientId } : null, onlyAck: m.onlyAck };
  }

  /**
   * The room could not deliver a batch (it gave up after retries): the messages between the last
   * one delivered and this batch are read from the room and sent first, so no socket sees a hole.
   */
  private async heal(channel: Channel, last: number, next: number, sockets: WebSocket[]) {
    logEvent("relay_healing", { room: this.roomCode(), channel, after_seq: last, missing: next - last - 1 });
    try {
      const { messages } = await this.readBacklog(null, channel, last);
      this.sendMessages(channel, sockets, messages.filter((m) => m.seq < next).map((message) => ({ message, ack: null })));
    } catch (e) {
      // Without the missing messages its sockets would have a hole: they reconnect and resume instead.
      logEvent("relay_heal_failed", { room: this.roomCode(), channel, error: errorText(e) });
      for (const ws of sockets) safeClose(ws, CLOSE_RESTART, "the relay lost messages: reconnect to resume");
    }
  }

  /**
   * The backlog, read from the room page by page (each answer about RELAY_PAGE_BYTES), as one: for a
   * resuming socket, or (claims null) for the relay itself to fill a hole in what it was delivered.
   */
  protected async readBacklog(claims: SessionClaims | null, channel: Channel, afterSeq: number): Promise<BacklogAnswer> {
    const all: BacklogAnswer = { gap: null, messages: [] };
    let after = afterSeq;
    let until: number | null = null;
    do {
      const result = await this.room().relayBacklog(this.ctx.id.name!, claims, channel, after, until);
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
      .catch((e) => logEvent("relay_report_failed", { room: this.roomCode(), error: errorText(e) }));
  }
}
