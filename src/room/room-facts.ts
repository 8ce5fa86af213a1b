// What a room is, as the room keeps it: its Postgres row and its host's
// reserved name, in the object's storage, so the room answers "which room is
// this" (room details, the join's access rules) with no Postgres round trip.
// Postgres is read once per room: when the room is created the Worker hands
// the facts over (introduce), and a room created before the room kept them
// reads them at its first wake. The only fields that change (the back room's
// settings) are written by a route that tells the room (changed).
import type { RoomWithHost } from "../features/rooms/queries";
import { findRoom } from "../features/rooms/queries";
import type { RoomDb } from "../platform/room-db";
import type { RoomRef } from "../domain/room-code";

/** The room's row and host name: RoomWithHost without the message count, which the room's log knows. */
export type RoomFactsRow = Omit<RoomWithHost, "messageCount">;

/** Storage key of the facts (it held only {code, id} before the room kept its facts). */
const ROOM_KEY = "room";

type Stored = RoomRef & { facts?: RoomFactsRow };

export class RoomFacts {
  private ref: RoomRef | null = null;
  private row: RoomFactsRow | null = null;

  constructor(
    private readonly code: string,
    private readonly storage: DurableObjectStorage,
    private readonly db: RoomDb,
  ) {}

  /**
   * The room's code and id (on wake): from storage, else Postgres; null when no room has this
   * code. A room that kept only its id (before it kept its facts) reads them when first asked.
   */
  async load(): Promise<RoomRef | null> {
    const stored = await this.storage.get<Stored>(ROOM_KEY);
    if (stored?.code === this.code) {
      this.ref = { code: stored.code, id: stored.id };
      this.row = stored.facts ?? null;
      return this.ref;
    }
    return (await this.facts()) && this.ref;
  }

  /** The room's facts: kept, or read from Postgres once (null when no room has this code). */
  async facts(): Promise<RoomFactsRow | null> {
    if (this.row) return this.row;
    const found = await this.db.run((conn) => findRoom(conn, this.code));
    if (!found) return null;
    const { messageCount: _, ...row } = found;
    await this.keep(row);
    return row;
  }

  /** A new room's facts, from the route that created it: the room never reads them. */
  async introduce(row: RoomFactsRow): Promise<void> {
    await this.keep(row);
  }

  /** The route changed the room's row (the back room's settings): the room keeps the new one. */
  async changed(row: Omit<RoomFactsRow, "hostReservedUsername">): Promise<void> {
    const known = await this.facts();
    if (known) await this.keep({ ...known, ...row });
  }

  /** The host deleted their account: the room no longer names them. */
  async hostGone(): Promise<void> {
    const known = await this.facts();
    if (known) await this.keep({ ...known, hostReservedUsername: null });
  }

  private async keep(row: RoomFactsRow) {
    this.ref = { code: this.code, id: row.id };
    this.row = row;
    await this.storage.put(ROOM_KEY, { ...this.ref, facts: row } satisfies Stored);
  }
}
