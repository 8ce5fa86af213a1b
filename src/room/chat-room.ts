// ChatRoom: one Durable Object per chat code. It owns the room's sockets
// (hibernation API), is the single writer of the room's messages, and
// broadcasts what it stored. Read top to bottom it is the protocol:
// connect, message, close; the write path lives in send-pipeline.ts.
import {
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
  gapFrame,
  messageFrame,
  unpinnedFrame,
  type Channel,
  type PublicMessage,
} from "../protocol";
import { DurableObject } from "cloudflare:workers";
import { ApiError, dbUnavailable, notBackroomMember, banned } from "../platform/errors";
import { isDbUnavailable } from "../platform/db";
import { FRAME_MAX_BYTES, WRITE_BATCH_MAX } from "../domain/limits";
import type { SessionClaims } from "../domain/tokens";
import { redisClient } from "../platform/redis";
import { windowSettings, type WindowSettings } from "../features/messages/window";
import type { Redis } from "@upstash/redis/cloudflare";
import { errorText, logEvent } from "../platform/log";
import { parseClientFrame } from "./client-frames";
import { protocolAnswer } from "../protocol";
import { checkContent, type SendInput } from "../features/messages/schemas";
import { deleteMessage, react, type ActionDeps, type ReactionResult } from "../features/messages/room-actions";
import { Presence } from "./presence";
import { CacheHealth } from "../platform/cache-health";
import { asApiError, done, refused, type RoomResult } from "../platform/rpc-result";
import { RoomBans, type BanOrder } from "../features/moderation/room-bans";
import { RoomBackroom } from "../features/backroom/room-backroom";
import { completePurchase, purchase, refundPurchase, type PurchaseDeps, type PurchaseOrder, type PurchaseOutcome } from "../features/payments/purchases";
import { requireProvider } from "../features/payments/provider";
import { expirePins, nextPinEnd } from "../features/payments/pin-queries";
import { uncachePins } from "../features/payments/pin-cache";
import { sendBacklog } from "./resume";
import { Allowances, frameLimitSettings, reactionLimitSettings, sendLimitSettings } from "../domain/send-limit";
import { slash48Of } from "../domain/client-ip";
import { BLOCK_BUDGET } from "../domain/rate-limits";
import { pinClock } from "../domain/pricing";
import { positiveSetting } from "../domain/settings";
import { textProblem } from "../domain/text";
import { encodeCursor } from "../domain/cursor";
import { RoomDb } from "../platform/room-db";
import { Lane } from "./lane";
import { findRoom } from "../features/rooms/queries";
import type { RoomRef } from "../domain/room-code";
import { SendPipeline, authorOf, SYSTEM_AUTHOR, type CommitMode, type Delivery, type SendResult } from "./send-pipeline";
import { MessageLog } from "./message-log";
import { Flusher } from "./flusher";

/** Carries the Worker-verified session claims on the upgrade request. */
export const SESSION_HEADER = "X-ChatPop-Session";
/** Carries the client's address key (from CF-Connecting-IP) for the per-IP socket cap. */
export const CLIENT_IP_HEADER = "X-ChatPop-Client-Ip";

/** Storage key of the room's Postgres id, read once per room (see loadRoom). */
const ROOM_KEY = "room";
/** Storage key of the room's "Redis missed writes" mark (see cache-health.ts). */
const CACHE_STALE = "cache-stale";

/** A room that committed messages wakes by this time at the latest to flush them (in case it is evicted first). */
const FLUSH_SAFETY_MS = 5_000;
/** Retry delays while Postgres is away: doubling from the first to the last. */
const FLUSH_RETRY_MS = { first: 500, last: 30_000 };
/** Unflushed messages a room holds at most while Postgres is away (MAX_UNFLUSHED_MESSAGES). */
const MAX_UNFLUSHED_DEFAULT = 10_000;

/** The connect parameters that resume each channel (the back room for its members and the host only). */
const RESUME_PARAMS: [Channel, string][] = [
  ["main", "last_seq"],
  ["backroom", "last_backroom_seq"],
];

/** What each socket remembers across hibernation (serializeAttachment, ≤ 16 KiB). */
interface SocketState {
  claims: SessionClaims;
  connectedAt: number;
  /** When the socket last sent a frame, as of the last time this was saved (at most once a minute). */
  activeAt?: number;
}

/** How often a socket's last activity is saved into its attachment (it survives hibernation there). */
const ACTIVITY_SAVE_MS = 60_000;

export class ChatRoom extends DurableObject<Env> {
  private readonly db: RoomDb;
  private readonly redis: Redis;
  private readonly window: WindowSettings;
  private readonly bans: RoomBans;
  private readonly presence: Presence;
  private readonly cacheHealth: CacheHealth;
  /** Sockets reading their resume backlog, per channel: live messages wait here, then follow the backlog. */
  private readonly catchingUp: Record<Channel, Map<WebSocket, Delivery[]>> = { main: new Map(), backroom: new Map() };
  /** Each participant's send allowance, shared by its sockets and its REST sends. */
  private readonly sendAllowance: Allowances;
  /** Each participant's reaction allowance. */
  private readonly reactionAllowance: Allowances;
  /** Each participant's frame allowance: every frame it sends, of any kind, on any of its sockets. */
  private readonly frameAllowance: Allowances;
  /** When each socket last sent a frame (its attachment keeps a copy, saved now and then). */
  private readonly lastFrameAt = new WeakMap<WebSocket, number>();
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
  /** Failed flushes in a row: the retry delay doubles with each. */
  private flushFailures = 0;
  /** While Postgres is away, commits do not each try to flush: the alarm retries at this time. */
  private flushRetryAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = new RoomDb(env);
    this.redis = redisClient(env);
    this.window = windowSettings(env);
    this.bans = new RoomBans(this.db, () => this.room);
    this.backroom = new RoomBackroom(this.db);
    this.commitMode = env.SEND_COMMIT === "postgres" ? "postgres" : "room";
    this.sendAllowance = new Allowances(sendLimitSettings(env), () => this.now());
    this.frameAllowance = new Allowances(frameLimitSettings(env), () => this.now());
    this.reactionAllowance = new Allowances(reactionLimitSettings(env), () => this.now());
    this.log = new MessageLog(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn));
    this.flusher = new Flusher({ roomCode: ctx.id.name ?? "", log: this.log, db: this.db });
    this.cacheHealth = new CacheHealth(
      (stale) => void ctx.storage.put(CACHE_STALE, stale),
      () => this.now(),
    );
    // Keep-alives are answered by the runtime without waking a hibernated room.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
    const code = ctx.id.name;
    if (!code) throw new Error("A ChatRoom is reached by its chat code: CHAT_ROOM.getByName(code).");
    ctx.blockConcurrencyWhile(async () => {
      this.cacheHealth.stale = (await ctx.storage.get<boolean>(CACHE_STALE)) === true;
      this.room = await this.loadRoom(code);
      // Messages committed before a restart (a deploy, an eviction) go to Postgres now.
      if (this.log.oldestPendingPos() !== null) this.flushSoon();
    });
    this.presence = new Presence(
      () => this.participantsOnline(),
      (frame) => this.sendToAll(frame),
    );
  }

  // ---- connect -----------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const raw = request.headers.get(SESSION_HEADER);
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket" || !raw) {
      return Response.json(new ApiError(426, "UPGRADE_REQUIRED", "Expected a WebSocket upgrade.").toJSON(), { status: 426 });
    }
    const claims = JSON.parse(raw) as SessionClaims;
    const ipKey = request.headers.get(CLIENT_IP_HEADER);
    const ipTag = `ip:${ipKey ?? "unknown"}`;
    // An IPv6 caller's /48 is counted too: a /64 each costs nothing to whoever holds the block.
    const block = ipKey ? slash48Of(ipKey) : null;
    const blockTag = block ? `block:${block.key}` : null;
    const pair = new WebSocketPair();
    const server = pair[1];
    this.ctx.acceptWebSocket(server, [claims.participationId, ipTag, ...(blockTag ? [blockTag] : [])]);
    server.serializeAttachment({ claims, connectedAt: this.now() } satisfies SocketState);
    const full = this.socketCapReached(claims.participationId, ipTag, blockTag);
    // The room wakes to close sockets that go silent (SOCKET_IDLE_SECONDS).
    void this.alarmNoLaterThan(this.now() + this.idleMs());
    if (full) {
      logEvent("socket_refused", { room: claims.roomCode, reason: full });
      server.close(CLOSE_POLICY, full);
    } else if (await this.bans.covers(claims, { failOpen: true })) {
      kick(server, claims.roomCode);
    } else {
      logEvent("socket_opened", { room: claims.roomCode, participation: claims.participationId });
      safeSend(server, this.presence.frame());
      this.presence.changed();
      const params = new URL(request.url).searchParams;
      for (const [channel, param] of RESUME_PARAMS) {
        const lastSeq = params.get(param);
        if (lastSeq === null) continue;
        if (!/^\d{1,9}$/.test(lastSeq)) {
          sendError(server, new ApiError(400, "INVALID_LAST_SEQ", `\`${param}\` must be a whole number: the seq of the last message you have.`));
          continue;
        }
        // The back room is for its members and the host (null: the member list cannot be read now).
        const admitted = channel === "main" ? true : await this.backroom.admits(claims).catch(() => null);
        if (admitted === null) {
          sendError(server, dbUnavailable());
        } else if (!admitted) {
          sendError(server, notBackroomMember("Only back-room members and the host can resume the back room; join it first."));
        } else {
          this.catchingUp[channel].set(server, []);
          void this.resume(server, claims, channel, Number(lastSeq));
        }
      }
    }
    return new Response(null, { status: 101, webSocket: pair[0], headers: protocolAnswer(request.headers.get("Sec-WebSocket-Protocol")) });
  }

  // ---- message -----------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    if (frameBytes(data) > FRAME_MAX_BYTES) {
      ws.close(CLOSE_TOO_LARGE, `frames can be at most ${FRAME_MAX_BYTES} bytes`);
      return;
    }
    // Every frame costs its sender, whatever it is (a ping spelled otherwise, garbage, a send): one
    // budget per participant across its sockets. Over it a frame goes unanswered; a sender that keeps
    // on is closed. (The exact keep-alive text never gets here: the runtime answers it.)
    const state = ws.deserializeAttachment() as SocketState;
    const frames = this.frameAllowance.take(state.claims.participationId);
    if (frames === "abusive") {
      logEvent("socket_closed_for_abuse", { room: this.room.code, reason: "frames" });
      ws.close(CLOSE_POLICY, "too many frames");
      return;
    }
    if (frames === "limited") return;
    this.touched(ws, state);
    if (typeof data !== "string") {
      sendError(ws, new ApiError(400, "INVALID_FRAME", "Frames must be JSON text, not binary."));
      return;
    }
    let frame;
    try {
      frame = parseClientFrame(data);
    } catch (e) {
      if (e instanceof ApiError) sendError(ws, e, clientIdOf(data));
      else throw e;
      return;
    }
    if (frame.kind === "ping") {
      safeSend(ws, PONG_TEXT);
      return;
    }
    const { claims } = state;
    const admission = await this.admit(claims, frame.input, ws);
    if (admission === "close") {
      logEvent("socket_closed_for_abuse", { room: this.room.code });
      ws.close(CLOSE_POLICY, "too many messages");
    } else if (admission === "kick") {
      kick(ws, this.room.code);
      this.presence.changed();
    } else if (admission instanceof ApiError) {
      sendError(ws, admission, frame.input.client_id);
    } else {
      const result = await this.pipeline(frame.input.channel ?? "main").submit(authorOf(claims), frame.input, ws);
      if (!result.ok) sendError(ws, asApiError(result.error), frame.input.client_id);
    }
  }

  /** A send from the REST API: the same rules and pipeline as a socket's send. */
  async submit(claims: SessionClaims, input: SendInput): Promise<SendResult> {
    const admission = await this.admit(claims, input, null);
    if (admission === "kick") return refused(banned());
    if (admission instanceof ApiError) return refused(admission);
    if (admission === "close") return refused(sendingTooFast(this.sendAllowance.retryAfterSeconds(claims.participationId)));
    return this.pipeline(input.channel ?? "main").submit(authorOf(claims), input, null);
  }

  /**
   * Every rule a send must pass before it is queued, in one place for socket and REST sends:
   * its content, the socket's send allowance, bans, and back-room membership. "kick" and
   * "close" tell a socket to go (banned; flooding).
   */
  private async admit(claims: SessionClaims, input: SendInput, origin: WebSocket | null): Promise<"ok" | "kick" | "close" | ApiError> {
    // Every send costs its sender, even one refused below: refusals are no free way to load the room.
    const allowance = this.sendAllowance.take(claims.participationId);
    if (allowance === "abusive" && origin) return "close";
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

  /** A refund the provider reported (webhook): what the payment bought is taken back, once. */
  async refundPayment(transactionId: string): Promise<RoomResult<{ applied: boolean }>> {
    return this.serial(async () => ({ applied: await refundPurchase(this.purchaseDeps(), transactionId) }));
  }

  /**
   * One alarm for two jobs: flushing what Postgres does not have yet (retried
   * with backoff while it is away) and ending pins when their time is up.
   */
  override async alarm(): Promise<void> {
    this.flushAlarmArmed = false;
    let next: number | null = null;
    const at = (ms: number) => (next = next === null ? ms : Math.min(next, ms));
    const retry = await this.flushNow();
    if (retry !== null) at(retry);
    const nextIdleCheck = this.closeIdleSockets();
    if (nextIdleCheck !== null) at(nextIdleCheck);
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

  private idleMs(): number {
    return positiveSetting(this.env.SOCKET_IDLE_SECONDS, 300) * 1000;
  }

  /** Notes a socket's frame; saved into its attachment at most once a minute, so it survives hibernation. */
  private touched(ws: WebSocket, state: SocketState) {
    const now = this.now();
    this.lastFrameAt.set(ws, now);
    if (now - (state.activeAt ?? state.connectedAt) >= ACTIVITY_SAVE_MS) {
      ws.serializeAttachment({ ...state, activeAt: now } satisfies SocketState);
    }
  }

  /**
   * Closes sockets that neither sent a frame nor a keep-alive for SOCKET_IDLE_SECONDS (they hold a
   * seat of the room for nothing); answers when the next one could go idle, or null without sockets.
   */
  private closeIdleSockets(): number | null {
    const idle = this.idleMs();
    const now = this.now();
    let next: number | null = null;
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const state = ws.deserializeAttachment() as SocketState | null;
      if (!state) continue;
      const ping = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const last = Math.max(this.lastFrameAt.get(ws) ?? 0, state.activeAt ?? 0, state.connectedAt, ping);
      if (now - last >= idle) {
        try {
          ws.close(CLOSE_IDLE, "idle: no frames or keep-alives");
        } catch {
          // already closing
        }
        closed++;
      } else {
        next = next === null ? last + idle : Math.min(next, last + idle);
      }
    }
    if (closed > 0) {
      logEvent("sockets_closed_idle", { room: this.room.code, count: closed });
      this.presence.changed();
    }
    return next;
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

  // ---- flushing to Postgres ----------------------------------------------

  /**
   * Flushes everything committed so far; answers when to try again (null: nothing left).
   * Callers meanwhile share the attempt, and rows committed during it get another round at once.
   */
  private flushNow(): Promise<number | null> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      let retry: number | null;
      do {
        this.flushAgain = false;
        retry = await this.attemptFlush();
      } while (retry === null && this.flushAgain);
      return retry;
    })().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private flushing: Promise<number | null> | null = null;
  /** A commit arrived while a flush was running: run another round after it. */
  private flushAgain = false;

  private async attemptFlush(): Promise<number | null> {
    try {
      await this.flusher.flushAll();
      this.flushFailures = 0;
      this.flushRetryAt = 0;
      return null;
    } catch (e) {
      this.flushFailures++;
      const delay = Math.min(FLUSH_RETRY_MS.last, FLUSH_RETRY_MS.first * 2 ** (this.flushFailures - 1));
      logEvent("flush_failed", { room: this.room.code, unflushed: this.log.pendingCount(), retry_ms: delay, error: errorText(e) });
      this.flushRetryAt = this.now() + delay;
      return this.flushRetryAt;
    }
  }

  /** Starts a flush without waiting for it; a failed one is retried from the alarm. */
  private flushSoon() {
    if (this.now() < this.flushRetryAt) return;
    void this.flushNow().then((retry) => (retry === null ? undefined : this.alarmNoLaterThan(retry)));
  }

  /** After a commit: flush now, and have the alarm wake the room to flush should it be evicted first. */
  private committed() {
    this.flushSoon();
    if (!this.flushAlarmArmed) {
      this.flushAlarmArmed = true;
      void this.alarmNoLaterThan(this.now() + FLUSH_SAFETY_MS);
    }
  }

  private flushAlarmArmed = false;

  private async alarmNoLaterThan(ms: number) {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || ms < current) await this.ctx.storage.setAlarm(ms);
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
    let kicked = 0;
    for (const participationId of order.participationIds) {
      for (const ws of this.ctx.getWebSockets(participationId)) {
        kick(ws, this.room.code);
        kicked++;
      }
    }
    if (kicked > 0) this.presence.changed();
    logEvent("ban_enforced", { room: this.room.code, participations: order.participationIds.length, kicked });
    if (order.announcement) await this.postSystemMessage(order.announcement);
    return { kicked };
  }

  async liftBan(banId: string): Promise<void> {
    this.bans.remove(banId);
    logEvent("ban_lifted", { room: this.room.code });
  }

  // ---- close -------------------------------------------------------------

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    logEvent("socket_closed", { room: this.room.code, code });
    // Complete the client's close handshake. A close without a status code arrives as 1005, which
    // may not be sent back (ws.close(1005) throws and the client would never see its close event).
    try {
      if (RESERVED_CLOSE_CODES.includes(code)) ws.close(CLOSE_NORMAL, "");
      else ws.close(code, reason);
    } catch {
      // already closed
    }
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

  /** Why a new socket cannot stay (the room or this address has too many), or null. */
  private socketCapReached(participationId: string, ipTag: string, blockTag: string | null): string | null {
    if (this.ctx.getWebSockets().length > positiveSetting(this.env.MAX_SOCKETS_PER_ROOM, 5000)) return "room is full";
    const perIp = positiveSetting(this.env.MAX_SOCKETS_PER_IP, 50);
    if (this.ctx.getWebSockets(ipTag).length > perIp) return "too many connections from your address";
    if (blockTag && this.ctx.getWebSockets(blockTag).length > perIp * BLOCK_BUDGET[48]) return "too many connections from your network";
    if (this.ctx.getWebSockets(participationId).length > positiveSetting(this.env.MAX_SOCKETS_PER_PARTICIPANT, 5)) {
      return "too many connections for one participant";
    }
    return null;
  }

  /**
   * Sends the channel's backlog after `afterSeq` (at most the window's worth, after a `gap` frame
   * when more was missed), then what arrived live meanwhile, skipping what the backlog carried.
   */
  private async resume(ws: WebSocket, claims: SessionClaims, channel: Channel, afterSeq: number) {
    let sentUpTo = afterSeq;
    const send = (m: PublicMessage) => {
      if (m.seq <= sentUpTo) return;
      safeSend(ws, messageFrame(m));
      sentUpTo = m.seq;
    };
    try {
      const source = await sendBacklog(
        {
          room: this.room,
          db: this.db,
          redis: this.redis,
          cacheHealth: this.cacheHealth,
          log: this.log,
          newestSeq: (c) => this.pipeline(c).newestSeq(),
        },
        {
          channel,
          afterSeq,
          maxMessages: this.window.maxCount,
          send,
          gap: (fromSeq, toSeq) => {
            safeSend(ws, gapFrame({ channel, from_seq: fromSeq, to_seq: toSeq, before: encodeCursor(toSeq + 1) }));
            sentUpTo = toSeq;
          },
        },
      );
      logEvent("socket_resumed", { room: claims.roomCode, channel, from: source, after_seq: afterSeq, to_seq: sentUpTo });
    } catch (e) {
      logEvent("resume_failed", { room: claims.roomCode, channel, error: errorText(e) });
      sendError(ws, isDbUnavailable(e) ? dbUnavailable() : new ApiError(500, "RESUME_FAILED", "The missed messages could not be loaded; reconnect to try again."));
    } finally {
      const held = this.catchingUp[channel].get(ws) ?? [];
      this.catchingUp[channel].delete(ws);
      for (const d of held) {
        if (d.message.seq <= sentUpTo) continue;
        safeSend(ws, d.clientId && d.origin === ws ? messageFrame(d.message, d.clientId) : messageFrame(d.message));
        sentUpTo = d.message.seq;
      }
    }
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

  /** Distinct participants with an open socket (a kicked or closing socket no longer counts). */
  private participantsOnline(): number {
    const ids = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const state = ws.deserializeAttachment() as SocketState | null;
      if (state) ids.add(state.claims.participationId);
    }
    return ids.size;
  }

  private sendToAll(frame: string) {
    for (const ws of this.ctx.getWebSockets()) safeSend(ws, frame);
  }

  /** The sockets that may see the channel: everyone's for the main room, members' and the host's for the back room. */
  private socketsOf(channel: Channel): WebSocket[] {
    if (channel === "main") return this.ctx.getWebSockets();
    return this.ctx.getWebSockets().filter((ws) => {
      const state = ws.deserializeAttachment() as SocketState | null;
      return state !== null && this.backroom.admitsNow(state.claims);
    });
  }

  private sendToChannel(channel: Channel, frame: string) {
    for (const ws of this.socketsOf(channel)) safeSend(ws, frame);
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
        committed: () => this.committed(),
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
        return this.alarmNoLaterThan(untilMs);
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
        if (own && d.origin) safeSend(d.origin, own);
        continue;
      }
      for (const ws of sockets) {
        const held = this.catchingUp[channel].get(ws);
        if (held) held.push(d);
        else safeSend(ws, own && ws === d.origin ? own : plain);
      }
    }
  }
}

const tooFast = (what: string, retryAfter: number) =>
  new ApiError(429, "RATE_LIMITED", `You are ${what} too fast; wait ${retryAfter} s.`, { retry_after_seconds: retryAfter }, {
    "Retry-After": String(retryAfter),
  });
const sendingTooFast = (retryAfter: number) => tooFast("sending", retryAfter);

/** Tells a banned participant's socket why, then closes it with 4403. */
function kick(ws: WebSocket, room: string) {
  safeSend(ws, kickedFrame("You have been removed from this room by the host."));
  try {
    ws.close(CLOSE_BANNED, "banned from this room");
  } catch {
    // already closed
  }
  logEvent("socket_kicked", { room });
}

/** An error frame for this socket, in the API's error shape; the sender's client_id lets it match the error. */
function sendError(ws: WebSocket, err: ApiError, clientId?: string | null) {
  safeSend(ws, errorFrame(err.toJSON(), clientId));
}

function safeSend(ws: WebSocket, frame: string) {
  try {
    ws.send(frame);
  } catch {
    // the socket closed meanwhile; its close handler tidies up
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
