// Postgres fills a room's own storage once: for a room whose storage holds
// nothing yet (a room created before the room kept its bans, back-room
// members and pins itself, or one whose storage was lost). After that the
// room is the writer of all of it and a wake reads only its own storage.
// One round trip of time (the reads go side by side); while Postgres cannot
// answer, what needs the seed (a send's ban check, the back room, the alarm's
// pin job) waits for it or is refused with DB_UNAVAILABLE, and the seed is
// tried again at the next need.
import type { RoomRef } from "../domain/room-code";
import type { RoomDb } from "../platform/room-db";
import { errorText, logEvent } from "../platform/log";
import { roomBanIndex } from "../features/moderation/queries";
import { backroomMemberIds } from "../features/backroom/queries";
import { nextPinEnd } from "../features/payments/pin-queries";
import { lastSeq } from "../features/messages/queries";
import { banEntries, type RoomBans } from "../features/moderation/room-bans";
import type { RoomBackroom } from "../features/backroom/room-backroom";
import type { PinExpiry } from "../features/payments/pin-expiry";
import type { MessageLog } from "./message-log";
import { SeedMark } from "../platform/seed-mark";

/** Storage key of the seed's mark: present once Postgres has filled the room's storage. */
const SEEDED_KEY = "seeded";

export interface RoomSeedDeps {
  storage: DurableObjectStorage;
  db: RoomDb;
  room(): RoomRef;
  log: MessageLog;
  bans: RoomBans;
  backroom: RoomBackroom;
  pins: PinExpiry;
}

export class RoomSeed {
  private readonly mark: SeedMark;

  constructor(private readonly deps: RoomSeedDeps) {
    this.mark = new SeedMark(deps.storage, SEEDED_KEY, () => this.run());
  }

  /** Reads the mark (on wake). */
  load(): Promise<void> {
    return this.mark.load();
  }

  /** null once the room's storage is seeded; otherwise the seed (one at a time), which throws while Postgres is away. */
  pending(): Promise<void> | null {
    return this.mark.pending();
  }

  /** A room just created has nothing in Postgres to seed from: its storage starts empty and seeded. */
  fresh(): void {
    const { log, storage } = this.deps;
    storage.transactionSync(() => {
      if (log.lastSeq("main") === null) log.setLastSeq("main", 0);
      if (log.lastSeq("backroom") === null) log.setLastSeq("backroom", 0);
    });
    this.deps.pins.seed(null);
    this.mark.markDone();
  }

  private async run(): Promise<void> {
    const { db, log, storage } = this.deps;
    const room = this.deps.room();
    let read;
    try {
      read = await Promise.all([
        db.run((conn) => roomBanIndex(conn, room.id)),
        db.run((conn) => backroomMemberIds(conn, room.id)),
        db.run((conn) => nextPinEnd(conn, room.id)),
        db.run((conn) => lastSeq(conn, room.id, "main")),
        db.run((conn) => lastSeq(conn, room.id, "backroom")),
      ]);
    } catch (e) {
      logEvent("room_seed_failed", { room: room.code, error: errorText(e) });
      throw e;
    }
    const [banRows, members, pinEnd, mainSeq, backroomSeq] = read;
    const bans = banEntries(banRows);
    storage.transactionSync(() => {
      this.deps.bans.seed(bans);
      this.deps.backroom.seed(members);
      // A log that has committed messages knows its seq better than Postgres (it may hold unflushed ones).
      if (log.lastSeq("main") === null) log.setLastSeq("main", mainSeq);
      if (log.lastSeq("backroom") === null) log.setLastSeq("backroom", backroomSeq);
    });
    this.deps.pins.seed(pinEnd?.getTime() ?? null);
    this.deps.bans.load();
    this.deps.backroom.load();
    logEvent("room_seeded", { room: room.code, bans: bans.length, backroom_members: members.length, pin_end: pinEnd !== null });
  }
}
