// What a room is made of, built once per wake: its stores, its own log and
// the flusher that copies it to Postgres, the send pipelines (one per
// channel) and the serial queue they share with every other write, the rules
// a send must pass, bans, back-room members, connect limits, the pin job and
// the relays. chat-room.ts says what the room does with them. Everything a
// send, a resume or a kick needs is in the room's own storage (room-schema.ts),
// so a wake reads no Postgres (room-seed.ts fills a new storage once).
import type { Channel } from "../protocol";
import { ApiError, dbUnavailable } from "../platform/errors";
import { isDbUnavailable } from "../platform/db";
import type { SessionClaims } from "../domain/tokens";
import type { RoomRef } from "../domain/room-code";
import { redisClient } from "../platform/redis";
import { windowSettings } from "../features/messages/window";
import { CacheHealth } from "../platform/cache-health";
import { RoomDb } from "../platform/room-db";
import { logEvent } from "../platform/log";
import { done, refused, type RoomResult } from "../platform/rpc-result";
import { RoomBans, type BanOrder } from "../features/moderation/room-bans";
import { RoomBackroom } from "../features/backroom/room-backroom";
import { PinExpiry } from "../features/payments/pin-expiry";
import { RoomFacts, type RoomFactsRow } from "./room-facts";
import type { RoomWithHost } from "../features/rooms/queries";
import type { RoomStores } from "../features/room-stores";
import { Allowances } from "../domain/send-limit";
import { limitsOf, settingsOf, type Settings } from "../platform/settings";
import type { BacklogBounds } from "./resume";
import { SerialQueue } from "./serial-queue";
import { SendPipeline, SYSTEM_AUTHOR, type Delivery } from "./send-pipeline";
import { MessageLog } from "./message-log";
import { Flusher } from "./flusher";
import { ConnectLimits } from "./connect-limits";
import { SendRules } from "./send-rules";
import type { RoomAlarm } from "./alarm";
import { migrateRoomStorage } from "./room-schema";
import { RoomSeed } from "./room-seed";
import { RoomParticipants } from "../features/rooms/room-participants";
import { EndedLogins } from "./ended-logins";
import { RelayFanout } from "./relay-fanout";
import { parseRelayName, relaySettings, type RelaySettings } from "./relay-protocol";
import { relayRpc } from "./rpc";
import { Metrics } from "../platform/metrics";
import { DAY_MS } from "../features/retention/retention";

/** Storage key of the room's "Redis missed writes" mark (see cache-health.ts). */
const CACHE_STALE = "cache-stale";

/** How the room tells its sockets (and its relays') what happened. */
export interface RoomOutputs {
  sendToAll(frame: string): void;
  broadcast(channel: Channel, deliveries: Delivery[]): void;
  presenceChanged(): void;
}

export class RoomParts {
  readonly code: string;
  readonly settings: Settings;
  readonly relaySettings: RelaySettings;
  private readonly db: RoomDb;
  private readonly redis;
  private readonly window;
  private readonly cacheHealth: CacheHealth;
  /** What one resume may send: the window's count and RESUME_MAX_BYTES. */
  readonly resumeBounds: BacklogBounds;
  /** The room's committed messages (the commit point of a send), and what copies them to Postgres. */
  readonly log: MessageLog;
  readonly flusher: Flusher;
  /** The numbers an operator watches (Analytics Engine data points, platform/metrics.ts). */
  readonly metrics: Metrics;
  readonly pins: PinExpiry;
  readonly bans: RoomBans;
  readonly backroom: RoomBackroom;
  readonly rules: SendRules;
  /** How often each participant and address may connect. */
  readonly connects: ConnectLimits;
  /** The relays that hold the sockets past RELAY_AFTER_SOCKETS (relay-fanout.ts). */
  readonly relays: RelayFanout;
  /** Logins that ended while their sessions here could still be valid (ended-logins.ts). */
  readonly endedLogins: EndedLogins;
  /** Postgres fills the room's storage once (room-seed.ts). */
  private readonly seed: RoomSeed;
  /** Who is in the room, told by every join (room-participants.ts). */
  readonly participants: RoomParticipants;
  /** Send batches and actions take turns here (serial-queue.ts). */
  private readonly writes = new SerialQueue();
  /** Redis window appends, after the broadcast, in batch order. */
  private readonly cacheWrites = new SerialQueue();
  private readonly pipelines = new Map<Channel, SendPipeline>();
  /** One transaction of the room's SQLite storage (synchronous). */
  private readonly transaction = <T>(fn: () => T): T => this.ctx.storage.transactionSync(fn);
  /** The room this object serves: its code is the object's name, its id is read once (see load). */
  private room!: RoomRef;
  /** What the room is (its row, its host's name), kept by the room (room-facts.ts). */
  readonly facts: RoomFacts;
  /** No room has this code (an object reached only to ask, by room details): it holds nothing. */
  missing = false;

  constructor(
    private readonly ctx: DurableObjectState,
    env: Env,
    private readonly now: () => number,
    private readonly out: RoomOutputs,
    private readonly alarm: RoomAlarm,
  ) {
    const code = ctx.id.name;
    if (!code) throw new Error("A ChatRoom is reached by its chat code: CHAT_ROOM.getByName(code).");
    this.code = code;
    this.settings = settingsOf(env);
    this.relaySettings = relaySettings(this.settings);
    this.db = new RoomDb(env);
    this.redis = redisClient(env);
    this.window = windowSettings(this.settings);
    this.resumeBounds = { maxCount: this.window.maxCount, maxBytes: this.settings.RESUME_MAX_BYTES };
    this.cacheHealth = new CacheHealth((stale) => void ctx.storage.put(CACHE_STALE, stale), now);
    const wakeBy = (ms: number) => alarm.noLaterThan(ms);
    const transaction = this.transaction;
    const seeded = () => this.seed.pending();
    this.facts = new RoomFacts(code, ctx.storage, this.db);
    this.log = new MessageLog(ctx.storage.sql, transaction, now, this.settings.LOG_RETAIN_ROWS);
    this.metrics = new Metrics(env, now);
    this.flusher = new Flusher({
      roomCode: code,
      log: this.log,
      db: this.db,
      now,
      wakeBy: (ms) => void wakeBy(ms),
      quiet: () => this.rearm(),
      metrics: this.metrics,
    });
    this.bans = new RoomBans({ sql: ctx.storage.sql, transaction, now, seeded, roomCode: code });
    this.backroom = new RoomBackroom({ sql: ctx.storage.sql, seeded });
    this.participants = new RoomParticipants({
      storage: ctx.storage,
      transaction,
      db: this.db,
      room: () => this.room,
      bans: this.bans,
      roomSeeded: seeded,
      retentionMs: this.settings.RETENTION_DAYS * DAY_MS,
      now,
    });
    const limits = limitsOf(this.settings);
    this.rules = new SendRules({
      sendAllowance: new Allowances(limits.send, now),
      reactionAllowance: new Allowances(limits.reaction, now),
      bans: this.bans,
      backroom: this.backroom,
      refused: (errorCode) => this.metrics.refused(code, errorCode),
    });
    this.connects = new ConnectLimits(this.settings, now);
    this.endedLogins = new EndedLogins(ctx.storage.sql, now);
    this.pins = new PinExpiry({
      room: () => this.room,
      db: this.db,
      redis: this.redis,
      storage: ctx.storage,
      now,
      seeded,
      broadcast: (frame) => out.sendToAll(frame),
      serial: (fn) => this.writes.run(fn),
      wakeBy,
    });
    this.relays = new RelayFanout({
      code,
      storage: ctx.storage,
      stub: (name) => relayRpc(env, name),
      backroomMembers: () => this.backroom.memberIds(),
      now,
      presenceChanged: () => out.presenceChanged(),
    });
    this.seed = new RoomSeed({
      storage: ctx.storage,
      db: this.db,
      room: () => this.room,
      log: this.log,
      bans: this.bans,
      backroom: this.backroom,
      pins: this.pins,
    });
  }

  /** Run once per wake, before any event (blockConcurrencyWhile): the room's own storage, no Postgres once seeded. */
  async load(): Promise<void> {
    const room = await this.facts.load();
    if (!room) {
      this.missing = true;
      return;
    }
    this.room = room;
    migrateRoomStorage(this.ctx.storage.sql, this.transaction);
    this.cacheHealth.stale = (await this.ctx.storage.get<boolean>(CACHE_STALE)) === true;
    await Promise.all([this.relays.load(), this.pins.load(), this.seed.load(), this.participants.load()]);
    this.bans.load();
    this.backroom.load();
    // Not awaited: a wake must not wait on Postgres (what needs the seed waits for it).
    this.seed.pending()?.catch(() => {});
    // Messages committed before a restart (a deploy, an eviction) go to Postgres now.
    this.flusher.onWake();
  }

  /** The room was just created (the route hands over its row): nothing to read from Postgres, ever. */
  async introduce(row: RoomFactsRow): Promise<void> {
    await this.facts.introduce(row);
    if (this.missing) {
      this.missing = false;
      await this.load();
    }
    this.seed.fresh();
    this.participants.fresh();
  }

  /** The room's facts with its message count (the main channel's newest seq), or null when no room has this code. */
  async details(): Promise<RoomWithHost | null> {
    if (this.missing) {
      // Asked again: a room created since (its own object told first, this one not) is found now.
      if (!(await this.facts.load())) return null;
      this.missing = false;
      await this.load();
    }
    const row = await this.facts.facts();
    return row && { ...row, messageCount: await this.pipeline("main").newestSeq() };
  }

  /** A ban the route stored in Postgres: kept in the room's storage (after the seed, which would replace it). */
  async addBan(order: BanOrder): Promise<void> {
    await this.seed.pending();
    this.bans.add(order);
  }

  async removeBan(banId: string): Promise<void> {
    await this.seed.pending();
    this.bans.remove(banId);
  }

  /** Everything is flushed: the flusher needs no wake, so the alarm is the pin job's (or none). */
  private rearm(): void {
    void this.alarm.set(this.pins.nextWake());
  }

  stores(): RoomStores {
    return { room: this.room, db: this.db, redis: this.redis, window: this.window, cacheHealth: this.cacheHealth };
  }

  /** The channel's send pipeline (each channel has its own seq and window). */
  pipeline(channel: Channel = "main"): SendPipeline {
    let found = this.pipelines.get(channel);
    if (!found) {
      found = new SendPipeline({
        ...this.stores(),
        channel,
        writes: this.writes,
        cacheWrites: this.cacheWrites,
        log: this.log,
        flusher: this.flusher,
        commitMode: this.settings.SEND_COMMIT,
        maxUnflushed: this.settings.MAX_UNFLUSHED_MESSAGES,
        maxBatch: this.settings.WRITE_BATCH_MAX,
        seeded: () => this.seed.pending(),
        committed: () => this.flusher.onCommit(),
        now: this.now,
        metrics: this.metrics,
        broadcast: (deliveries) => this.out.broadcast(channel, deliveries),
      });
      this.pipelines.set(channel, found);
    }
    return found;
  }

  /** A room event told as a system message, through the same pipeline as every send. */
  async postSystemMessage(text: string): Promise<void> {
    const result = await this.pipeline().submit(SYSTEM_AUTHOR, { message: text, reply_to_id: null, client_id: null });
    if (!result.ok) logEvent("system_message_failed", { room: this.code, code: result.error.code });
  }

  /**
   * Runs fn after every earlier write of the room; refusals come back as data (rpc-result.ts).
   * Postgres and Redis get every message committed before it first, so an action never
   * reaches a store before the message it acts on.
   */
  async serial<T>(fn: () => Promise<T>): Promise<RoomResult<T>> {
    try {
      return done(
        await this.writes.run(async () => {
          // What the seed writes (members, pins) must not overwrite what an action changes.
          await this.seed.pending();
          await this.flusher.flushAll();
          await this.cacheWrites.idle();
          return fn();
        }),
      );
    } catch (e) {
      if (e instanceof ApiError) return refused(e);
      if (isDbUnavailable(e)) return refused(dbUnavailable());
      throw e;
    }
  }

  /** Resolves once Postgres and the Redis window have every message committed so far (throws while Postgres is away). */
  async settled(): Promise<{ unflushed: number }> {
    await this.flusher.flushAll();
    await this.cacheWrites.idle();
    return { unflushed: this.log.unflushedCount() };
  }

  /** The index of a relay of this room, or null (logged) for a name of another room's relay or of none. */
  ownRelay(relay: string, claims: SessionClaims | null): number | null {
    const parsed = parseRelayName(relay);
    // Any index a relay name may have, not only those under RELAY_COUNT: lowering it must not strand the sockets of higher relays.
    if (parsed?.code === this.code && (!claims || claims.roomCode === this.code)) return parsed.index;
    logEvent("relay_refused", { room: this.code, relay, reason: "not_a_relay_of_this_room" });
    return null;
  }
}
