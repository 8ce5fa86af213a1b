// The room's pin job: ends the pins whose time is up, tells the room, and
// answers when the next one ends, for the room's alarm. Only a room that may
// have running pins asks Postgres (its alarm also rings to flush and sweep).
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

export interface PinExpiryDeps {
  room(): RoomRef;
  db: RoomDb;
  redis: Redis;
  now(): number;
  /** Tells every socket of the room (and its relays). */
  broadcast(frame: string): void;
  /** Runs the job in the room's serial queue, after the writes before it. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Asks the room's alarm to ring no later than this. */
  wakeBy(ms: number): Promise<void>;
}

export class PinExpiry {
  /** Unknown after a wake (true), false once the job found none running, true again after a pin. */
  private mayRun = true;

  constructor(private readonly deps: PinExpiryDeps) {}

  /** A pin was bought or extended until `untilMs`: the room rings then. */
  pinnedUntil(untilMs: number): Promise<void> {
    this.mayRun = true;
    return this.deps.wakeBy(untilMs);
  }

  /** The alarm rang: ends what is due; answers when the next pin ends (null: none runs). */
  async onAlarm(): Promise<number | null> {
    if (!this.mayRun) return null;
    try {
      const next = await this.deps.serial(() => this.endDue());
      this.mayRun = next !== null;
      return next;
    } catch (e) {
      if (!isDbUnavailable(e)) throw e;
      return this.deps.now() + RETRY_MS;
    }
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
