// The room's pin job: ends the pins whose time is up, tells the room, and
// answers when the next one ends, for the room's alarm. The room keeps the
// next pin end in its own storage (written when a pin is bought, extended or
// ended), so its alarm rings only when a pin ends and a wake asks Postgres
// nothing: Postgres is asked only to end the pins that are due.
import type { Redis } from "@upstash/redis/cloudflare";
import { unpinnedFrame } from "../../protocol";
import type { RoomRef } from "../../domain/room-code";
import { isDbUnavailable } from "../../platform/db";
import { errorText, logEvent } from "../../platform/log";
import type { RoomDb } from "../../platform/room-db";
import { expirePins, nextPinEnd } from "./pin-queries";
import { uncachePins } from "./pin-cache";

/** While Postgres is away, the job looks again after this long. */
const RETRY_MS = 30_000;
/** Storage key of the next pin end (epoch ms; null: no pin runs). */
const NEXT_END_KEY = "pin-next-end";

export interface PinExpiryDeps {
  room(): RoomRef;
  db: RoomDb;
  redis: Redis;
  storage: DurableObjectStorage;
  now(): number;
  /** Resolves once the room's storage is seeded (null: it is); throws while Postgres cannot seed it. */
  seeded(): Promise<void> | null;
  /** Tells every socket of the room (and its relays). */
  broadcast(frame: string): void;
  /** Runs the job in the room's serial queue, after the writes before it. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Asks the room's alarm to ring no later than this. */
  wakeBy(ms: number): Promise<void>;
}

export class PinExpiry {
  /** When the next pin ends (null: none runs; undefined: not known until the room's storage is seeded). */
  private nextEnd: number | null | undefined;
  /** While Postgres is away: when the job looks again. */
  private retryAt: number | null = null;

  constructor(private readonly deps: PinExpiryDeps) {}

  /** Reads the next pin end from the room's storage (on wake). */
  async load(): Promise<void> {
    this.nextEnd = await this.deps.storage.get<number | null>(NEXT_END_KEY);
  }

  /** The seed's answer (inside its transaction). */
  seed(nextEnd: number | null): void {
    this.store(nextEnd);
  }

  /** A pin was bought or extended until `untilMs`: the room rings then. */
  pinnedUntil(untilMs: number): Promise<void> {
    if (this.nextEnd === undefined || this.nextEnd === null || untilMs < this.nextEnd) this.store(untilMs);
    return this.deps.wakeBy(untilMs);
  }

  /** When the job needs the alarm next (null: never, until a pin is bought). */
  nextWake(): number | null {
    return this.retryAt ?? this.nextEnd ?? null;
  }

  /** The alarm rang: ends what is due (asking Postgres only then); answers when the next pin ends (null: none runs). */
  async onAlarm(): Promise<number | null> {
    try {
      await this.deps.seeded();
      this.retryAt = null;
      if (this.nextEnd === null || this.nextEnd === undefined || this.nextEnd > this.deps.now()) return this.nextEnd ?? null;
      const next = await this.deps.serial(() => this.endDue());
      this.store(next);
      return next;
    } catch (e) {
      if (!isDbUnavailable(e)) throw e;
      this.retryAt = this.deps.now() + RETRY_MS;
      return this.retryAt;
    }
  }

  private store(nextEnd: number | null) {
    this.nextEnd = nextEnd;
    void this.deps.storage.put(NEXT_END_KEY, nextEnd);
  }

  private async endDue(): Promise<number | null> {
    const { db, redis } = this.deps;
    const room = this.deps.room();
    const ended = await db.run((conn) => expirePins(conn, room.id, new Date(this.deps.now())));
    if (ended.length > 0) {
      await uncachePins(redis, room.code, ended).catch((e) => logEvent("pin_cache_failed", { room: room.code, error: errorText(e) }));
      for (const id of ended) this.deps.broadcast(unpinnedFrame(id));
      logEvent("pins_ended", { room: room.code, count: ended.length });
    }
    return (await db.run((conn) => nextPinEnd(conn, room.id)))?.getTime() ?? null;
  }
}
