// ChatRoom: one Durable Object per chat code. It owns the room's sockets
// (hibernation API), is the single writer of the room's messages, and
// broadcasts what it stored. Read top to bottom it is the protocol:
// connect, message, close; the write path lives in send-pipeline.ts. A big
// room (past RELAY_AFTER_SOCKETS) sends new sockets to relays (chat-relay.ts)
// and hands them every batch (relay-fanout.ts); it still writes alone.
import { CLOSE_POLICY, errorFrame, messageFrame, presenceFrame, unpinnedFrame, type Channel } from "../protocol";
import { DurableObject } from "cloudflare:workers";
import { ApiError, dbUnavailable, notBackroomMember, banned } from "../platform/errors";
import { isDbUnavailable } from "../platform/db";
import { WRITE_BATCH_MAX } from "../domain/limits";
import type { SessionClaims } from "../domain/tokens";
import { redisClient } from "../platform/redis";
import { windowSettings, type WindowSettings } from "../features/messages/window";
import type { Redis } from "@upstash/redis/cloudflare";
import { errorText, logEvent } from "../platform/log";
import { protocolAnswer } from "../protocol";
import { checkContent, type SendInput } from "../features/messages/schemas";
import { deleteMessage, react, type ActionDeps, type ReactionResult } from "../features/messages/room-actions";
import { Presence } from "./presence";
import { CacheHealth } from "../platform/cache-health";
import { asApiError, done, refusalOf, refused, type RoomResult } from "../platform/rpc-result";
import { RoomBans, type BanOrder } from "../features/moderation/room-bans";
import { RoomBackroom } from "../features/backroom/room-backroom";
import { completePurchase, purchase, takeBackPurchase, type PurchaseDeps, type PurchaseOrder, type PurchaseOutcome, type TakeBack } from "../features/payments/purchases";
import { requireProvider } from "../features/payments/provider";
import { expirePins, nextPinEnd } from "../features/payments/pin-queries";
import { uncachePins } from "../features/payments/pin-cache";
import { CatchUp, backlogPage, collectBacklog, resumeError, resumeMaxBytes, resumeParams, type BacklogBounds, type BacklogDeps } from "./resume";
import { Allowances, reactionLimitSettings, sendLimitSettings } from "../domain/send-limit";
import { pinClock } from "../domain/pricing";
import { positiveSetting } from "../domain/settings";
import { RoomDb } from "../platform/room-db";
import { Lane } from "./lane";
import { findRoom } from "../features/rooms/queries";
import type { RoomRef } from "../domain/room-code";
import { SendPipeline, authorOf, SYSTEM_AUTHOR, type CommitMode, type Delivery, roomSocketOf, type SendResult } from "./send-pipeline";
import { MessageLog } from "./message-log";
import { FLUSH_RETRY_MS, Flusher } from "./flusher";
import { SocketHost, addressOf, closeUpgrade, kick, safeSend, sendError, upgradeClaims } from "./socket-host";
import { ConnectLimits } from "./connect-limits";
import { alarmNoLaterThan } from "./alarm";
import { relayStub } from "../platform/room-stub";
import { RelayFanout, type RelayStub } from "./relay-fanout";
import {
  PRESENCE_HEADER,
  RELAY_HEADER,
  parseRelayName,
  relayIndexFor,
  relaySettings,
  type BacklogAnswer,
  type RelayReport,
  type RelaySendOutcome,
  type RelaySettings,
} from "./relay-protocol";

/** Storage key of the room's Postgres id, read once per room (see loadRoom). */
const ROOM_KEY = "room";
/** Storage key of the room's "Redis missed writes" mark (see cache-health.ts). */
const CACHE_STALE = "cache-stale";

/** Unflushed messages a room holds at most while Postgres is away (MAX_UNFLUSHED_MESSAGES). */
const MAX_UNFLUSHED_DEFAULT = 10_000;

export class ChatRoom extends DurableObject<Env> {
  private readonly db: RoomDb;
  private readonly redis: Redis;
  private readonly window: WindowSettings;
  /** What one resume may send: the window's count and RESUME_MAX_BYTES. */
  private readonly resumeBounds: BacklogBounds;
  private readonly bans: RoomBans;
  private readonly presence: Presence;
  private readonly cacheHealth: CacheHealth;
  /** Sockets reading their resume backlog: live messages wait there, then follow the backlog. */
  private readonly catchUp = new CatchUp();
  /** The room's own sockets: their caps, frame budget and idle sweep (shared with relays). */
  private readonly sockets: SocketHost;
  /** The relays that hold the sockets past RELAY_AFTER_SOCKETS (relay-fanout.ts). */
  private readonly relays: RelayFanout;
  private readonly relaySettings: RelaySettings;
  /** Each participant's send allowance, shared by its sockets and its REST sends. */
  private readonly sendAllowance: Allowances;
  /** Each participant's reaction allowance. */
  private readonly reactionAllowance: Allowances;
  /** How often each participant and address may connect. */
  private readonly connects: ConnectLimits;
  private readonly backroom: RoomBackroom;
  private readonly pipelines = new Map<Channel, SendPipeline>();
  /** The room this object serves: its code is the object's name, its id is read once (see loadRoom). */
  private room!: RoomRef;
  /** The room's clock, for what it decides by time (the Redis pause, pin expiry); tests move it instead of sleeping. */
  now: () => number = Date.now;
  /** Send batches and actions take turns here (lane.ts). */
  private readonly lane = new Lane();
  /** Redis window appends, after the broadcast, in batch order. */
  private readonly cacheLane = new Lane();
  /** The room's committed messages (the commit point of a send), and what copies them to Postgres. */
  private readonly log: MessageLog;
  private readonly flusher: Flusher;
  private readonly commitMode: CommitMode;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = new RoomDb(env);
    this.redis = redisClient(env);
    this.window = windowSettings(env);
    this.resumeBounds = { maxCount: this.window.maxCount, maxBytes: resumeMaxBytes(env) };
    this.bans = new RoomBans(this.db, () => this.room);
    this.backroom = new RoomBackroom(this.db);
    this.commitMode = env.SEND_COMMIT === "postgres" ? "postgres" : "room";
    this.sendAllowance = new Allowances(sendLimitSettings(env), () => this.now());
    this.sockets = new SocketHost(ctx, env, () => this.now(), () => this.room?.code ?? ctx.id.name ?? "", (id) => this.connects.abused(id));
    this.reactionAllowance = new Allowances(reactionLimitSettings(env), () => this.now());
    this.connects = new ConnectLimits(env, () => this.now());
    this.log = new MessageLog(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn));
    this.flusher = new Flusher({
      roomCode: ctx.id.name ?? "",
      log: this.log,
      db: this.db,
      now: () => this.now(),
      wakeBy: (ms) => void alarmNoLaterThan(ctx.storage, ms),
    });
    this.cacheHealth = new CacheHealth(
      (stale) => void ctx.storage.put(CACHE_STALE, stale),
      () => this.now(),
    );
    const code = ctx.id.name;
    if (!code) throw new Error("A ChatRoom is reached by its chat code: CHAT_ROOM.getByName(code).");
    this.relaySettings = relaySettings(env);
    this.relays = new RelayFanout({
      code,
      storage: ctx.storage,
      stub: (name) => relayStub(env, name) as unknown as RelayStub,
      backroomMembers: () => this.backroom.memberIds(this.room.id),
      now: () => this.now(),
      presenceChanged: () => this.presence.changed(),
    });
    ctx.blockConcurrencyWhile(async () => {
      this.cacheHealth.stale = (await ctx.storage.get<boolean>(CACHE_STALE)) === true;
      await this.relays.load();
      this.room = await this.loadRoom(code);
      // Messages committed before a restart (a deploy, an eviction) go to Postgres now.
      this.flusher.onWake();
    });
    this.presence = new Presence(
      () => this.sockets.participantsOnline() + this.relays.participants(),
      (count) => this.sendToAll(presenceFrame(count)),
    );
  }

  // ---- connect -----------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const claims = upgradeClaims(request);
    if (claims instanceof Response) return claims;
    // Every upgrade costs its sender before anything is read or placed for it.
    const tooOften = this.connects.refusal(claims.participationId, addressOf(request));
    if (tooOften) {
      logEvent("socket_refused", { room: claims.roomCode, reason: "connects" });
      return closeUpgrade(CLOSE_POLICY, tooOften, request.headers.get("Sec-WebSocket-Protocol"));
    }
    const relay = await this.relayFor(request, claims);
    if (relay) {
      // The Worker takes the upgrade there (upgrade-route.ts): the room never holds this socket.
      logEvent("socket_placed", { room: claims.roomCode, relay });
      return new Response(null, { status: 204, headers: { [RELAY_HEADER]: relay, [PRESENCE_HEADER]: String(this.presence.current()) } });
    }
    const { server, client, full } = this.sockets.accept(request, claims, {}, this.relays.sockets());
    // The room wakes to close sockets that go silent (SOCKET_IDLE_SECONDS).
    void alarmNoLaterThan(this.ctx.storage, this.now() + this.sockets.idleMs());
    if (full) {
      logEvent("socket_refused", { room: claims.roomCode, reason: full });
      server.close(CLOSE_POLICY, full);
    } else if (await this.bans.covers(claims, { failOpen: true })) {
      kick(server, claims.roomCode);
    } else {
      logEvent("socket_opened", { room: claims.roomCode, participation: claims.participationId });
      safeSend(server, this.presence.frame());
      this.presence.changed();
      for (const r of resumeParams(new URL(request.url))) {
        if ("error" in r) {
          sendError(server, r.error);
          continue;
        }
        const refusal = await this.resumeRefusal(claims, r.channel);
        if (refusal) {
          sendError(server, refusal);
        } else {
          this.catchUp.start(server, r.channel);
          void this.resume(server, claims, r.channel, r.lastSeq);
        }
      }
    }
    return new Response(null, { status: 101, webSocket: client, headers: protocolAnswer(request.headers.get("Sec-WebSocket-Protocol")) });
  }

  /**
   * The relay a new socket goes to, or null when the room takes it itself: while the room holds
   * fewer than RELAY_AFTER_SOCKETS, and for a socket it must refuse or kick (it says why itself).
   */
  private async relayFor(request: Request, claims: SessionClaims): Promise<string | null> {
    const { after, count } = this.relaySettings;
    const own = this.ctx.getWebSockets().length;
    if (count === 0 || own < after) return null;
    if (own + this.relays.sockets() >= positiveSetting(this.env.MAX_SOCKETS_PER_ROOM, 5000)) return null;
    if (await this.bans.covers(claims, { failOpen: true })) return null;
    const { ip, block } = addressOf(request);
    return this.relays.place(relayIndexFor(block ?? ip ?? claims.participationId, count));
  }

  /**
   * Why the socket may not resume the channel, or null: the back room is for its members and the
   * host (Postgres away: the member list cannot be read now).
   */
  private async resumeRefusal(claims: SessionClaims, channel: Channel): Promise<ApiError | null> {
    if (channel === "main") return null;
    const admitted = await this.backroom.admits(claims).catch(() => null);
    if (admitted === null) return dbUnavailable();
    return admitted ? null : notBackroomMember("Only back-room members and the host can resume the back room; join it first.");
  }

  // ---- message -----------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const read = this.sockets.read(ws, data);
    if (!read) return;
    const { claims, input } = read;
    const admission = await this.admit(claims, input, true);
    if (admission === "close") {
      this.sockets.closeForAbuse(ws, claims.participationId, "messages");
    } else if (admission === "kick") {
      kick(ws, this.room.code);
      this.presence.changed();
    } else if (admission instanceof ApiError) {
      sendError(ws, admission, input.client_id);
    } else {
      const result = await this.pipeline(input.channel ?? "main").submit(authorOf(claims), input, ws);
      if (!result.ok) sendError(ws, asApiError(result.error), input.client_id);
    }
  }

  /** A send from the REST API: the same rules and pipeline as a socket's send. */
  async submit(claims: SessionClaims, input: SendInput): Promise<SendResult> {
    const admission = await this.admit(claims, input, false);
    if (admission === "kick") return refused(banned());
    if (admission instanceof ApiError) return refused(admission);
    if (admission === "close") return refused(sendingTooFast(this.sendAllowance.retryAfterSeconds(claims.participationId)));
    return this.pipeline(input.channel ?? "main").submit(authorOf(claims), input, null);
  }

  // ---- from relays -------------------------------------------------------

  /** A send from a socket on one of the room's relays: the same rules and pipeline as the room's own sockets. */
  async relaySubmit(relay: string, claims: SessionClaims, input: SendInput, socket: string): Promise<RelaySendOutcome> {
    const index = this.ownRelay(relay, claims);
    if (index === null) return { outcome: "refused", error: refusalOf(relayRefused()) };
    const admission = await this.admit(claims, input, true);
    if (admission === "close" || admission === "kick") return { outcome: admission };
    if (admission instanceof ApiError) return { outcome: "refused", error: refusalOf(admission) };
    const result = await this.pipeline(input.channel ?? "main").submit(authorOf(claims), input, { relay: index, socket });
    return result.ok ? { outcome: "queued" } : { outcome: "refused", error: result.error };
  }

  /**
   * A relay's socket resumes: its backlog, read as for the room's own sockets (claims null: the
   * relay itself fills a hole in what it was delivered, and filters the back room by membership).
   */
  async relayBacklog(relay: string, claims: SessionClaims | null, channel: Channel, afterSeq: number, untilSeq: number | null = null): Promise<RoomResult<BacklogAnswer>> {
    if (this.ownRelay(relay, claims) === null) return refused(relayRefused());
    if (claims && (await this.bans.covers(claims, { failOpen: true }))) return refused(banned());
    const refusal = claims && (await this.resumeRefusal(claims, channel));
    if (refusal) return refused(refusal);
    try {
      return done(await backlogPage(this.backlogDeps(), channel, afterSeq, untilSeq, this.resumeBounds));
    } catch (e) {
      logEvent("resume_failed", { room: this.room.code, channel, relay, error: errorText(e) });
      return refused(resumeError(e));
    }
  }

  /** A relay closed a participant's socket for flooding frames: its connects wait a while, as here. */
  async relayAbuse(relay: string, participationId: string): Promise<void> {
    if (this.ownRelay(relay, null) !== null) this.connects.abused(participationId);
  }

  /** A relay's participant and socket counts (sent when they change, at most once a second). */
  async relayReport(relay: string, report: RelayReport): Promise<void> {
    const index = this.ownRelay(relay, null);
    if (index !== null) this.relays.report(index, report);
  }

  /** The index of a relay of this room, or null (logged) for a name of another room's relay or of none. */
  private ownRelay(relay: string, claims: SessionClaims | null): number | null {
    const parsed = parseRelayName(relay);
    // Any index a relay name may have, not only those under RELAY_COUNT: lowering it must not strand the sockets of higher relays.
    if (parsed?.code === this.room.code && (!claims || claims.roomCode === this.room.code)) return parsed.index;
    logEvent("relay_refused", { room: this.room.code, relay, reason: "not_a_relay_of_this_room" });
    return null;
  }

  /**
   * Every rule a send must pass before it is queued, in one place for socket and REST sends:
   * its content, the socket's send allowance, bans, and back-room membership. "kick" and
   * "close" tell a socket to go (banned; flooding).
   */
  private async admit(claims: SessionClaims, input: SendInput, fromSocket: boolean): Promise<"ok" | "kick" | "close" | ApiError> {
    // Every send costs its sender, even one refused below: refusals are no free way to load the room.
    const allowance = this.sendAllowance.take(claims.participationId);
    if (allowance === "abusive" && fromSocket) return "close";
    if (allowance !== "ok") return sendingTooFast(this.sendAllowance.retryAfterSeconds(claims.participationId));
    try {
      checkContent(input.message);
    } catch (e) {
      if (e instanceof ApiError) return e;
      throw e;
    }
    if (await this.bans.covers(claims)) return "kick";
    if (input.channel === "backroom" && !(await this.backroom.admits(claims))) {
      return notBackroomMember("Only back-room members and the host can send there; join the back room first.");
    }
    return "ok";
  }

  // ---- payments ----------------------------------------------------------

  /** A pin, a tip or a back-room seat: checked, charged and applied one at a time per room. */
  async purchase(claims: SessionClaims, order: PurchaseOrder): Promise<RoomResult<PurchaseOutcome>> {
    return this.action(claims, () => purchase(this.purchaseDeps(), claims, order));
  }

  /** A payment the provider confirmed later (webhook): its effect is applied once, however often this is called. */
  async completePayment(transactionId: string): Promise<RoomResult<{ applied: boolean }>> {
    return this.serial(async () => ({ applied: await completePurchase(this.purchaseDeps(), transactionId) }));
  }

  /** A refund or a lost dispute the provider reported (webhook): that payment's share of what it bought is taken back, once. */
  async takeBackPayment(transactionId: string, cause: TakeBack): Promise<RoomResult<{ applied: boolean }>> {
    return this.serial(async () => ({ applied: await takeBackPurchase(this.purchaseDeps(), transactionId, cause) }));
  }

  /**
   * One alarm for two jobs: flushing what Postgres does not have yet (retried
   * with backoff while it is away) and ending pins when their time is up.
   */
  override async alarm(): Promise<void> {
    let next: number | null = null;
    const at = (ms: number) => (next = next === null ? ms : Math.min(next, ms));
    const retry = await this.flusher.onAlarm();
    if (retry !== null) at(retry);
    const idle = this.sockets.closeIdle();
    if (idle.closed > 0) this.presence.changed();
    if (idle.next !== null) at(idle.next);
    try {
      // Only a room that may have running pins asks Postgres about them (the alarm also wakes to flush and sweep).
      if (this.pinsMayRun) {
        const pinEnd = await this.lane.run(() => this.endPins());
        this.pinsMayRun = pinEnd !== null;
        if (pinEnd !== null) at(pinEnd);
      }
    } catch (e) {
      if (!isDbUnavailable(e)) throw e;
      at(this.now() + FLUSH_RETRY_MS.last);
    }
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  /** Whether pins may be running: unknown after a wake (true), false once the alarm found none, true after a pin. */
  private pinsMayRun = true;

  /** Ends the pins whose time is up; answers when the next one ends. */
  private async endPins(): Promise<number | null> {
    const room = this.room;
    const ended = await this.db.run((conn) => expirePins(conn, room.id, new Date(this.now())));
    if (ended.length > 0) {
      await uncachePins(this.redis, room.code, ended).catch((e) =>
        logEvent("pin_cache_failed", { room: room.code, error: errorText(e) }),
      );
      for (const id of ended) this.sendToAll(unpinnedFrame(id));
      logEvent("pins_ended", { room: room.code, count: ended.length });
    }
    return (await this.db.run((conn) => nextPinEnd(conn, room.id)))?.getTime() ?? null;
  }

  /** Toggles the caller's reaction; the room gets a `reaction` frame with the new counts. */
  async react(claims: SessionClaims, messageId: string, emoji: string): Promise<RoomResult<ReactionResult>> {
    if (this.reactionAllowance.take(claims.participationId) !== "ok") {
      return refused(tooFast("reacting", this.reactionAllowance.retryAfterSeconds(claims.participationId)));
    }
    return this.action(claims, (deps) => react(deps, claims, messageId, emoji));
  }

  /** Soft-deletes a message (its author or the host); the room gets a `message_deleted` frame. */
  async deleteMessage(claims: SessionClaims, messageId: string): Promise<RoomResult<{ message_id: string }>> {
    return this.action(claims, (deps) => deleteMessage(deps, claims, messageId));
  }

  /**
   * Resolves once Postgres and the Redis window have every message committed so far (throws
   * while Postgres is away). For operators' tools and the tests; the API never waits on it.
   */
  async settled(): Promise<{ unflushed: number }> {
    await this.flusher.flushAll();
    await this.cacheLane.idle();
    return { unflushed: this.log.pendingCount() };
  }

  // ---- host powers -------------------------------------------------------

  /** A ban just stored in Postgres: it applies at once, its participants' sockets are kicked. */
  async enforceBan(order: BanOrder): Promise<{ kicked: number }> {
    await this.bans.add(order);
    const kickedHere = this.sockets.kickAll(order.participationIds);
    if (kickedHere > 0) this.presence.changed();
    const kicked = kickedHere + (await this.relays.kick(order.participationIds));
    logEvent("ban_enforced", { room: this.room.code, participations: order.participationIds.length, kicked });
    if (order.announcement) await this.postSystemMessage(order.announcement);
    return { kicked };
  }

  /** A login ended (logout): the sockets it opened here and on the relays close (4003); answers how many. */
  async endLogin(authSessionId: string): Promise<number> {
    const here = this.sockets.endLogin(authSessionId);
    if (here > 0) this.presence.changed();
    return here + (await this.relays.endLogin(authSessionId));
  }

  async liftBan(banId: string): Promise<void> {
    this.bans.remove(banId);
    logEvent("ban_lifted", { room: this.room.code });
  }

  // ---- close -------------------------------------------------------------

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.sockets.answerClose(ws, code, reason);
    this.presence.changed();
  }

  override async webSocketError(_ws: WebSocket): Promise<void> {
    logEvent("socket_error", { room: this.room.code });
  }

  // ---- below the protocol ------------------------------------------------

  /**
   * The room's Postgres id: kept in the object's storage after the first lookup by code, so a
   * wake costs no query. Every route reaches the object only for a room it found, so the lookup
   * finds it.
   */
  private async loadRoom(code: string): Promise<RoomRef> {
    const stored = await this.ctx.storage.get<RoomRef>(ROOM_KEY);
    if (stored?.code === code) return stored;
    const row = await this.db.run((conn) => findRoom(conn, code));
    if (!row) throw new Error(`room ${code} is not in Postgres`);
    const room = { code, id: row.id };
    await this.ctx.storage.put(ROOM_KEY, room);
    return room;
  }

  /** Sends the socket the channel's messages after `afterSeq` (see resume.ts), then what arrived live meanwhile. */
  private async resume(ws: WebSocket, claims: SessionClaims, channel: Channel, afterSeq: number) {
    let source = "";
    const upTo = await this.catchUp.run(
      ws,
      channel,
      afterSeq,
      async () => {
        const backlog = await collectBacklog(this.backlogDeps(), channel, afterSeq, this.resumeBounds);
        source = backlog.source;
        return backlog;
      },
      (e) => {
        logEvent("resume_failed", { room: claims.roomCode, channel, error: errorText(e) });
        return errorFrame(resumeError(e).toJSON());
      },
    );
    if (source) logEvent("socket_resumed", { room: claims.roomCode, channel, from: source, after_seq: afterSeq, to_seq: upTo });
  }

  private backlogDeps(): BacklogDeps {
    return {
      room: this.room,
      db: this.db,
      redis: this.redis,
      cacheHealth: this.cacheHealth,
      log: this.log,
      newestSeq: (c) => this.pipeline(c).newestSeq(),
    };
  }

  private async action<T>(claims: SessionClaims, fn: (deps: ActionDeps) => Promise<T>): Promise<RoomResult<T>> {
    if (await this.bans.covers(claims)) return refused(banned());
    return this.serial(() => fn(this.actionDeps()));
  }

  private actionDeps(): ActionDeps {
    return {
      room: this.room,
      db: this.db,
      redis: this.redis,
      window: this.window,
      cacheHealth: this.cacheHealth,
      broadcast: (frame, channel) => this.sendToChannel(channel, frame),
      deleted: (id) => this.log.markDeleted(id),
      inBackroom: (who) => this.backroom.admits(who),
    };
  }

  /**
   * Runs fn after every earlier action of the room; refusals come back as data (see result.ts).
   * Postgres and Redis get every message committed before it first, so an action never
   * reaches a store before the message it acts on.
   */
  private async serial<T>(fn: () => Promise<T>): Promise<RoomResult<T>> {
    try {
      return done(
        await this.lane.run(async () => {
          await this.flusher.flushAll();
          await this.cacheLane.idle();
          return fn();
        }),
      );
    } catch (e) {
      if (e instanceof ApiError) return refused(e);
      if (isDbUnavailable(e)) return refused(dbUnavailable());
      throw e;
    }
  }

  /** A frame for every socket of the room, its relays' too. */
  private sendToAll(frame: string) {
    for (const ws of this.ctx.getWebSockets()) safeSend(ws, frame);
    this.relays.frame("all", frame);
  }

  /** The sockets that may see the channel: everyone's for the main room, members' and the host's for the back room. */
  private socketsOf(channel: Channel): WebSocket[] {
    if (channel === "main") return this.ctx.getWebSockets();
    return this.ctx.getWebSockets().filter((ws) => {
      const state = this.sockets.stateOf(ws);
      return state !== null && this.backroom.admitsNow(state.claims);
    });
  }

  private sendToChannel(channel: Channel, frame: string) {
    for (const ws of this.socketsOf(channel)) safeSend(ws, frame);
    this.relays.frame(channel, frame);
  }

  private pipeline(channel: Channel = "main"): SendPipeline {
    let found = this.pipelines.get(channel);
    if (!found) {
      found = new SendPipeline({
        room: this.room,
        lane: this.lane,
        cacheLane: this.cacheLane,
        log: this.log,
        flusher: this.flusher,
        commitMode: this.commitMode,
        maxUnflushed: Math.floor(positiveSetting(this.env.MAX_UNFLUSHED_MESSAGES, MAX_UNFLUSHED_DEFAULT)),
        committed: () => this.flusher.onCommit(),
        channel,
        db: this.db,
        redis: this.redis,
        window: this.window,
        maxBatch: Math.floor(positiveSetting(this.env.WRITE_BATCH_MAX, WRITE_BATCH_MAX)),
        cacheHealth: this.cacheHealth,
        broadcast: (deliveries) => this.broadcast(channel, deliveries),
      });
      this.pipelines.set(channel, found);
    }
    return found;
  }

  /** A room event told as a system message, through the same pipeline as every send. */
  private async postSystemMessage(text: string) {
    const result = await this.pipeline().submit(SYSTEM_AUTHOR, { message: text, reply_to_id: null, client_id: null });
    if (!result.ok) logEvent("system_message_failed", { room: this.room.code, code: result.error.code });
  }

  private purchaseDeps(): PurchaseDeps {
    return {
      room: this.room,
      db: this.db,
      redis: this.redis,
      window: this.window,
      cacheHealth: this.cacheHealth,
      pinSecondsPerMinute: pinClock(this.env.PIN_SECONDS_PER_MINUTE),
      provider: () => requireProvider(this.env),
      broadcast: (frame) => this.sendToAll(frame),
      // Queued, not awaited: a purchase runs in the lane, and the message is written after it.
      postSystemMessage: (text) => void this.postSystemMessage(text),
      pinEndsAt: (untilMs) => {
        this.pinsMayRun = true;
        return alarmNoLaterThan(this.ctx.storage, untilMs);
      },
      memberJoined: (participationId) => this.backroom.add(participationId),
      memberLeft: (participationId) => this.backroom.remove(participationId),
    };
  }

  /** Every socket of the channel gets each message in seq order; the sender's own copy carries its client_id. */
  private broadcast(channel: Channel, deliveries: Delivery[]) {
    const sockets = this.socketsOf(channel);
    for (const d of deliveries) {
      const plain = messageFrame(d.message);
      const own = d.clientId && d.origin ? messageFrame(d.message, d.clientId) : null;
      if (d.onlyToOrigin) {
        const socket = roomSocketOf(d.origin);
        if (own && socket) safeSend(socket, own);
        continue;
      }
      for (const ws of sockets) {
        const frame = own && ws === d.origin ? own : plain;
        if (!this.catchUp.hold(ws, channel, d.message.seq, frame)) safeSend(ws, frame);
      }
    }
    this.relays.messages(channel, deliveries);
  }
}

const tooFast = (what: string, retryAfter: number) =>
  new ApiError(429, "RATE_LIMITED", `You are ${what} too fast; wait ${retryAfter} s.`, { retry_after_seconds: retryAfter }, {
    "Retry-After": String(retryAfter),
  });
const sendingTooFast = (retryAfter: number) => tooFast("sending", retryAfter);

const relayRefused = () => new ApiError(500, "INTERNAL_ERROR", "This relay does not belong to this room.");
