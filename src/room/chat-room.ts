// ChatRoom: one Durable Object per chat code, and the single writer of its
// messages. As a socket server (socket-server.ts) it holds the room's own
// sockets; read top to bottom this file is the room's protocol: who may
// connect, what a send becomes, what relays and the Worker may ask, the
// alarm's jobs. The write path is send-pipeline.ts; a big room (past
// RELAY_AFTER_SOCKETS) sends new sockets to relays (chat-relay.ts) and hands
// them every batch (relay-fanout.ts).
import { CLOSE_BAD_TOKEN, CLOSE_POLICY, presenceFrame, type Channel } from "../protocol";
import { ApiError, dbUnavailable, notBackroomMember, banned } from "../platform/errors";
import type { SessionClaims } from "../domain/tokens";
import { logEvent } from "../platform/log";
import { isDbUnavailable } from "../platform/db";
import type { SendInput } from "../features/messages/schemas";
import { deleteMessage, react, type ActionDeps, type ReactionResult } from "../features/messages/room-actions";
import { Presence } from "./presence";
import { asApiError, done, refusalOf, refused, type RoomResult } from "../platform/rpc-result";
import type { BanOrder } from "../features/moderation/room-bans";
import { completePurchase, purchase, takeBackPurchase, type PurchaseDeps, type PurchaseOrder, type PurchaseOutcome, type TakeBack } from "../features/payments/purchases";
import { requireProvider } from "../features/payments/provider";
import { backlogPage, collectBacklog, resumeError, type BacklogDeps } from "./resume";
import { authorOf, roomSocketOf, type Delivery, type SendResult } from "./send-pipeline";
import { safeSend } from "./socket-host";
import { addressOf, closeUpgrade, LOGIN_ENDED } from "./handoff";
import { SocketServer, type Placement, type SendVerdict } from "./socket-server";
import { RoomParts } from "./room-parts";
import { forgetAccountHere, type AccountLeaving } from "./forget-account";
import type { RoomLogSummary } from "../features/operations/schemas";
import { relayIndexFor, relayRefused, type BacklogAnswer, PRESENCE_HEADER, RELAY_HEADER, type RelayReport, type RelaySendOutcome } from "./relay-protocol";
import type { RoomRpc } from "./rpc";
import type { RoomFactsRow } from "./room-facts";
import type { RoomWithHost } from "../features/rooms/queries";
import type { ChatRoomRow } from "../platform/schema";
import type { Participant, ParticipantAsk, ParticipantFacts } from "../features/rooms/room-participants";

export class ChatRoom extends SocketServer implements RoomRpc {
  /** Everything the room is made of, built once per wake (room-parts.ts). */
  private readonly parts: RoomParts;
  protected readonly presence: Presence;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.parts = new RoomParts(ctx, env, () => this.now(), {
      sendToAll: (frame) => this.sendToAll(frame),
      broadcast: (channel, deliveries) => this.broadcast(channel, deliveries),
      presenceChanged: () => this.presence.changed(),
    }, this.alarms);
    this.presence = new Presence(
      () => this.sockets.participantsOnline() + this.parts.relays.participants(),
      (count) => this.sendToAll(presenceFrame(count)),
      undefined,
      () => this.now(),
    );
    ctx.blockConcurrencyWhile(() => this.parts.load());
  }

  protected roomCode(): string {
    return this.parts.code;
  }

  // ---- connect -----------------------------------------------------------

  /** Every upgrade costs its sender before anything is read or placed for it; a big room sends it to a relay. */
  protected async admitUpgrade(request: Request, claims: SessionClaims): Promise<Response | Placement> {
    const tooOften = this.parts.connects.refusal(claims.participationId, addressOf(request));
    if (tooOften) {
      logEvent("socket_refused", { room: claims.roomCode, reason: "connects" });
      return closeUpgrade(CLOSE_POLICY, tooOften, request.headers.get("Sec-WebSocket-Protocol"));
    }
    // The Worker checks the login against Postgres; this holds when it could not (Postgres away).
    if (this.parts.endedLogins.has(claims.authSessionId)) {
      logEvent("socket_refused", { room: claims.roomCode, reason: "login_ended" });
      return closeUpgrade(CLOSE_BAD_TOKEN, LOGIN_ENDED, request.headers.get("Sec-WebSocket-Protocol"));
    }
    const relay = await this.relayFor(request, claims);
    if (relay) {
      // The Worker takes the upgrade there (upgrade-route.ts): the room never holds this socket.
      logEvent("socket_placed", { room: claims.roomCode, relay });
      return new Response(null, { status: 204, headers: { [RELAY_HEADER]: relay, [PRESENCE_HEADER]: String(this.presence.current()) } });
    }
    return { heldElsewhere: this.parts.relays.sockets() };
  }

  /**
   * The relay a new socket goes to, or null when the room takes it itself: while the room holds
   * fewer than RELAY_AFTER_SOCKETS, and for a socket it must refuse or kick (it says why itself).
   */
  private async relayFor(request: Request, claims: SessionClaims): Promise<string | null> {
    const { after, count } = this.parts.relaySettings;
    const own = this.ctx.getWebSockets().length;
    if (count === 0 || own < after) return null;
    if (own + this.parts.relays.sockets() >= this.parts.settings.MAX_SOCKETS_PER_ROOM) return null;
    if (await this.parts.bans.covers(claims, { failOpen: true })) return null;
    const { ip, block } = addressOf(request);
    return this.parts.relays.place(relayIndexFor(block ?? ip ?? claims.participationId, count));
  }

  protected override bannedOnConnect(claims: SessionClaims): Promise<boolean> {
    return this.parts.bans.covers(claims, { failOpen: true });
  }

  protected presenceOnConnect(): string {
    return this.presence.frame();
  }

  /** The back room resumes for its members and the host only (Postgres away: the member list cannot be read now). */
  protected override async resumeRefusal(claims: SessionClaims, channel: Channel): Promise<ApiError | null> {
    if (channel === "main") return null;
    const admitted = await this.parts.backroom.admits(claims).catch(() => null);
    if (admitted === null) return dbUnavailable();
    return admitted ? null : notBackroomMember("Only back-room members and the host can resume the back room; join it first.");
  }

  protected readBacklog(_claims: SessionClaims, channel: Channel, afterSeq: number) {
    return collectBacklog(this.backlogDeps(), channel, afterSeq, this.parts.resumeBounds);
  }

  // ---- sends -------------------------------------------------------------

  protected async onSend(ws: WebSocket, claims: SessionClaims, input: SendInput): Promise<SendVerdict> {
    const check = await this.parts.rules.check(claims, input, true);
    if (check !== "pass") return check;
    const result = await this.parts.pipeline(input.channel ?? "main").submit(authorOf(claims), input, ws);
    return result.ok ? "queued" : asApiError(result.error);
  }

  /** A send from the REST API: the same rules and pipeline as a socket's send. */
  async submit(claims: SessionClaims, input: SendInput): Promise<SendResult> {
    const refusal = await this.parts.rules.checkRest(claims, input);
    if (refusal) return refused(refusal);
    return this.parts.pipeline(input.channel ?? "main").submit(authorOf(claims), input, null);
  }

  /** A relay's socket flooded: its participant's connects wait a while, as here. */
  protected abused(participationId: string): void {
    this.parts.connects.abused(participationId);
  }

  // ---- from relays -------------------------------------------------------

  /** A send from a socket on one of the room's relays: the same rules and pipeline as the room's own sockets. */
  async relaySubmit(relay: string, claims: SessionClaims, input: SendInput, socket: string): Promise<RelaySendOutcome> {
    const index = this.parts.ownRelay(relay, claims);
    if (index === null) return { outcome: "refused", error: refusalOf(notOurRelay()) };
    const check = await this.parts.rules.check(claims, input, true);
    if (check === "close" || check === "kick") return { outcome: check };
    if (check instanceof ApiError) return { outcome: "refused", error: refusalOf(check) };
    const result = await this.parts.pipeline(input.channel ?? "main").submit(authorOf(claims), input, { relay: index, socket });
    return result.ok ? { outcome: "queued" } : { outcome: "refused", error: result.error };
  }

  /**
   * A relay's socket resumes: its backlog, page by page, read as for the room's own sockets (claims
   * null: the relay itself fills a hole in what it was delivered, and filters the back room by membership).
   */
  async relayBacklog(relay: string, claims: SessionClaims | null, channel: Channel, afterSeq: number, untilSeq: number | null = null): Promise<RoomResult<BacklogAnswer>> {
    if (this.parts.ownRelay(relay, claims) === null) return refused(notOurRelay());
    if (claims && (await this.parts.bans.covers(claims, { failOpen: true }))) return refused(banned());
    const refusal = claims && (await this.resumeRefusal(claims, channel));
    if (refusal) return refused(refusal);
    try {
      return done(await backlogPage(this.backlogDeps(), channel, afterSeq, untilSeq, this.parts.resumeBounds));
    } catch (e) {
      // The relay logs the failure with its socket's resume and tells the socket.
      return refused(resumeError(e));
    }
  }

  async relayAbuse(relay: string, participationId: string): Promise<void> {
    if (this.parts.ownRelay(relay, null) !== null) this.abused(participationId);
  }

  /** A relay's participant and socket counts (sent when they change, at most once a second). */
  async relayReport(relay: string, report: RelayReport): Promise<void> {
    const index = this.parts.ownRelay(relay, null);
    if (index !== null) this.parts.relays.report(index, report);
  }

  // ---- actions and payments ----------------------------------------------

  /** Toggles the caller's reaction; the room gets a `reaction` frame with the new counts. */
  async react(claims: SessionClaims, messageId: string, emoji: string): Promise<RoomResult<ReactionResult>> {
    const tooFast = this.parts.rules.reaction(claims);
    if (tooFast) return refused(tooFast);
    return this.action(claims, (deps) => react(deps, claims, messageId, emoji));
  }

  /** Soft-deletes a message (its author or the host); the room gets a `message_deleted` frame. */
  async deleteMessage(claims: SessionClaims, messageId: string): Promise<RoomResult<{ message_id: string }>> {
    return this.action(claims, (deps) => deleteMessage(deps, claims, messageId));
  }

  /** A pin, a tip or a back-room seat: checked, charged and applied one at a time per room. */
  async purchase(claims: SessionClaims, order: PurchaseOrder): Promise<RoomResult<PurchaseOutcome>> {
    return this.action(claims, () => purchase(this.purchaseDeps(), claims, order));
  }

  /** A payment the provider confirmed later (webhook): its effect is applied once, however often this is called. */
  async completePayment(transactionId: string): Promise<RoomResult<{ applied: boolean }>> {
    return this.parts.serial(async () => ({ applied: await completePurchase(this.purchaseDeps(), transactionId) }));
  }

  /** A refund or a lost dispute the provider reported (webhook): that payment's share of what it bought is taken back, once. */
  async takeBackPayment(transactionId: string, cause: TakeBack): Promise<RoomResult<{ applied: boolean }>> {
    return this.parts.serial(async () => ({ applied: await takeBackPurchase(this.purchaseDeps(), transactionId, cause) }));
  }

  /**
   * Resolves once Postgres and the Redis window have every message committed so far (throws
   * while Postgres is away). For operators' tools and the tests; the API never waits on it.
   */
  async settled(): Promise<{ unflushed: number }> {
    return this.parts.settled();
  }

  // ---- what the room is ---------------------------------------------------

  /** Room details: the room's own facts and message count (null: no room has this code). */
  async details(): Promise<RoomWithHost | null> {
    return this.parts.details();
  }

  /**
   * The open flow's lookups: the room (null: no room has this code) and what it knows of the caller,
   * its participation, the ban covering it, and the name and address asked about (room-participants.ts).
   */
  async participantFacts(ask: ParticipantAsk): Promise<RoomResult<{ room: RoomWithHost; facts: ParticipantFacts } | null>> {
    const room = await this.parts.details();
    if (!room) return done(null);
    try {
      return done({ room, facts: await this.parts.participants.facts(ask) });
    } catch (e) {
      // Only a room whose copy is not seeded yet asks Postgres here.
      if (isDbUnavailable(e)) return refused(dbUnavailable());
      throw e;
    }
  }

  /** A join returned this participation (new or returning): the room's copy has it before the join answers. */
  async participantJoined(p: Participant): Promise<void> {
    if (this.parts.missing) throw new Error("no room has this code");
    this.parts.participants.record(p);
  }

  /** A join the route took back (its row deleted from Postgres). */
  async participantWithdrawn(participationId: string): Promise<void> {
    if (!this.parts.missing) this.parts.participants.forget(participationId);
  }

  /** The create route hands a new room its row: it never asks Postgres what it is. */
  async introduce(row: RoomFactsRow): Promise<void> {
    await this.parts.introduce(row);
  }

  /** The back room's settings changed (the route stored them): the room keeps its new row. */
  async roomChanged(row: ChatRoomRow): Promise<void> {
    await this.parts.facts.changed(row);
  }

  // ---- host powers -------------------------------------------------------

  /** A ban just stored in Postgres: it applies at once, its participants' sockets are kicked. */
  async enforceBan(order: BanOrder): Promise<{ kicked: number }> {
    await this.parts.addBan(order);
    const kicked = this.kickHere(order.participationIds) + (await this.parts.relays.kick(order.participationIds));
    logEvent("ban_enforced", { room: this.roomCode(), participations: order.participationIds.length, kicked });
    if (order.announcement) await this.parts.postSystemMessage(order.announcement);
    return { kicked };
  }

  async liftBan(banId: string): Promise<void> {
    await this.parts.removeBan(banId);
    logEvent("ban_lifted", { room: this.roomCode() });
  }

  /** A login ended (logout): the sockets it opened here and on the relays close (4003), and it may connect no more; answers how many closed. */
  async endLogin(authSessionId: string): Promise<number> {
    this.parts.endedLogins.add(authSessionId);
    return this.endLoginHere(authSessionId) + (await this.parts.relays.endLogin(authSessionId));
  }

  /**
   * An account was deleted: its logins end here (sockets closed 4003), then, after everything
   * committed reached Postgres, the room forgets the person (forget-account.ts).
   */
  async forgetAccount(order: AccountLeaving): Promise<RoomResult<{ renamed: number; sockets_closed: number }>> {
    let closed = 0;
    for (const id of order.authSessionIds) closed += await this.endLogin(id);
    const result = await this.parts.serial(() =>
      forgetAccountHere({ ...this.parts.stores(), log: this.parts.log, participants: this.parts.participants, facts: this.parts.facts }, order),
    );
    if (!result.ok) return result;
    logEvent("account_forgotten", { room: this.roomCode(), participations: order.participationIds.length, renamed: result.value, sockets_closed: closed });
    return done({ renamed: result.value, sockets_closed: closed });
  }

  /** What the room's log holds of a channel (null: no room has this code); for `inspect-redis --compare`. */
  async logSummary(channel: Channel): Promise<RoomLogSummary | null> {
    if (!(await this.parts.details())) return null;
    const rows = this.parts.log.summary(channel);
    return { channel, rows: rows as RoomLogSummary["rows"], unflushed: rows.filter((r) => r.state === "pending").length };
  }

  /** The retention job cleared old addresses in Postgres: the room's copy of them goes too; answers how many. */
  async forgetAddressesBefore(cutoff: number): Promise<number> {
    return this.parts.participants.forgetAddressesBefore(cutoff);
  }

  // ---- alarm -------------------------------------------------------------

  /** Flushing what Postgres does not have yet (a retry, a safety wake), and ending pins whose time is up. */
  protected override async dueJobs(): Promise<(number | null)[]> {
    return [await this.parts.flusher.onAlarm(), await this.parts.pins.onAlarm()];
  }

  // ---- below the protocol ------------------------------------------------

  private backlogDeps(): BacklogDeps {
    return { ...this.parts.stores(), log: this.parts.log, newestSeq: (c) => this.parts.pipeline(c).newestSeq() };
  }

  /** Runs a participant's action after every earlier write of the room, unless a ban covers the participant. */
  private async action<T>(claims: SessionClaims, fn: (deps: ActionDeps) => Promise<T>): Promise<RoomResult<T>> {
    if (await this.parts.bans.covers(claims)) return refused(banned());
    return this.parts.serial(() =>
      fn({
        ...this.parts.stores(),
        broadcast: (frame, channel) => this.sendToChannel(channel, frame),
        deleted: (id) => this.parts.log.markDeleted(id),
        reacted: (id, reactions) => this.parts.log.setReactions(id, reactions),
        inBackroom: (who) => this.parts.backroom.admits(who),
      }),
    );
  }

  private purchaseDeps(): PurchaseDeps {
    return {
      ...this.parts.stores(),
      pinSecondsPerMinute: this.parts.settings.PIN_SECONDS_PER_MINUTE,
      provider: () => requireProvider(this.env),
      broadcast: (frame) => this.sendToAll(frame),
      // Queued, not awaited: a purchase runs in the serial queue, and the message is written after it.
      postSystemMessage: (text) => void this.parts.postSystemMessage(text),
      pinEndsAt: (untilMs) => this.parts.pins.pinnedUntil(untilMs),
      memberJoined: (participationId) => this.parts.backroom.add(participationId),
      memberLeft: (participationId) => this.parts.backroom.remove(participationId),
    };
  }

  /** A frame for every socket of the room, its relays' too. */
  private sendToAll(frame: string) {
    this.sendToChannel("all", frame);
  }

  /** A frame for the sockets that may see the channel, here and on the relays ("all": everyone). */
  private sendToChannel(channel: Channel | "all", frame: string) {
    for (const ws of this.audience(channel)) safeSend(ws, frame);
    this.parts.relays.frame(channel, frame);
  }

  /** The sockets that may see the channel: everyone's for the main room, members' and the host's for the back room. */
  private audience(channel: Channel | "all"): WebSocket[] {
    const all = this.ctx.getWebSockets();
    if (channel !== "backroom") return all;
    return all.filter((ws) => {
      const state = this.sockets.stateOf(ws);
      return state !== null && this.parts.backroom.admitsNow(state.claims);
    });
  }

  /** A batch the pipeline stored: to the room's own sockets, then to every relay. */
  private broadcast(channel: Channel, deliveries: Delivery[]) {
    this.sendMessages(
      channel,
      this.audience(channel),
      deliveries.map((d) => {
        const ws = roomSocketOf(d.origin);
        return { message: d.message, ack: ws && d.clientId ? { ws, clientId: d.clientId } : null, onlyAck: d.onlyAck };
      }),
    );
    this.parts.relays.messages(channel, deliveries);
  }
}

const notOurRelay = () => relayRefused("This relay does not belong to this room.");
