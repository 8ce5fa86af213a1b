// Who is in the room, as the room keeps it: every participation (anonymous
// and logged in) in the room's own storage, so the open flow's lookups
// (my-participation, check-rate-limit, validate-username, the fingerprint's
// name) are answered by the room with no Postgres round trip.
//
// Postgres stays the writer of participations (the join's one batch decides
// and inserts, join.ts); the room keeps a copy that must never answer what
// the join would refuse, so:
// - the join tells the room every participation it returns (new or returning)
//   before it answers, and a new one the room could not be told of is taken
//   back from Postgres (the caller is asked to try again): the caller's next
//   lookup sees its own join;
// - a room that has no copy yet (older than this index, or its storage lost)
//   reads Postgres once (the seed below: one round trip, beside the ban
//   details it fills), and rows the join told it win over the seed's;
// - bans come from room-bans.ts, which the ban routes already keep exact.
// Nothing else writes participations (the rows are never renamed; an undone
// join is forgotten here too).
import type { Identity } from "./participation-queries";
import { roomParticipationsQuery } from "./participation-queries";
import type { ParticipationRow } from "../../platform/schema";
import type { RoomDb } from "../../platform/room-db";
import type { RoomRef } from "../../domain/room-code";
import { slash48Of } from "../../domain/client-ip";
import { usernameKey } from "../../domain/usernames";
import { errorText, logEvent } from "../../platform/log";
import { activeBanDetails } from "../moderation/queries";
import { banDetailsOf, type CoveringBan, type RoomBans } from "../moderation/room-bans";
import { SeedMark } from "../../platform/seed-mark";

/** A participation as the room keeps it (times in epoch ms). */
export interface Participant {
  id: string;
  userId: string | null;
  fingerprint: string | null;
  username: string;
  usernameIsReserved: boolean;
  ipAddress: string | null;
  createdAt: number;
  lastSeenAt: number;
}

/** What a lookup asks of the room about its caller. */
export interface ParticipantAsk {
  who: Identity;
  /** A name the caller would chat under: is it held by another participant of its kind, is it banned. */
  username?: string;
  /** The caller's address key: how many anonymous names it and its IPv6 /48 hold here. */
  ipKey?: string;
}

/** The room's answer: the caller's participation and the ban covering it, and what the ask named. */
export interface ParticipantFacts {
  participation: Participant | null;
  /** The longest active ban covering the participation (the host's own is never covered). */
  ban: CoveringBan | null;
  nameHeld: boolean;
  /** An active ban names the asked username (it does not reach the account that reserved it: the caller decides). */
  nameBanned: boolean;
  anonNames: { address: number; block: number };
}

/** Storage key of the seed's mark: present once the room's copy holds every participation Postgres had. */
const SEEDED_KEY = "participants_seeded";

export interface RoomParticipantsDeps {
  storage: DurableObjectStorage;
  transaction<T>(fn: () => T): T;
  db: RoomDb;
  room(): RoomRef;
  bans: RoomBans;
  /** The room's own seed (room-seed.ts): its bans are stored before their details are filled here. */
  roomSeeded(): Promise<void> | null;
  /** How long an address is kept after its participation's last visit (RETENTION_DAYS). */
  retentionMs: number;
  now(): number;
}

type StoredRow = {
  id: string;
  user_id: string | null;
  fingerprint: string | null;
  username: string;
  username_is_reserved: number;
  ip_address: string | null;
  created_at: number;
  last_seen_at: number;
};

export class RoomParticipants {
  private readonly mark: SeedMark;

  constructor(private readonly deps: RoomParticipantsDeps) {
    this.mark = new SeedMark(deps.storage, SEEDED_KEY, () => this.seed());
  }

  private get sql(): SqlStorage {
    return this.deps.storage.sql;
  }

  /** Reads the seed's mark, and clears addresses past their keeping time (on wake). */
  load(): Promise<void> {
    this.forgetAddressesBefore(this.deps.now() - this.deps.retentionMs);
    return this.mark.load();
  }

  /** Addresses of participations last seen before the cutoff (see features/retention); answers how many. */
  forgetAddressesBefore(cutoff: number): number {
    return this.sql.exec(`UPDATE participants SET ip_address = NULL WHERE ip_address IS NOT NULL AND last_seen_at < ?`, cutoff).rowsWritten;
  }

  /** A room just created has no participations anywhere: its copy starts complete. */
  fresh(): void {
    this.mark.markDone();
  }

  /** The caller's participation and what the ask names; waits for the seed (throws while Postgres cannot seed it). */
  async facts(ask: ParticipantAsk): Promise<ParticipantFacts> {
    await this.mark.pending();
    const participation = this.find(ask.who);
    const key = ask.username === undefined ? null : usernameKey(ask.username);
    return {
      participation,
      ban: participation ? this.deps.bans.coveringBan(participation.id) : null,
      nameHeld: key !== null && this.nameHeld(key, ask.who),
      nameBanned: key !== null && this.deps.bans.namesUsername(key),
      anonNames: ask.ipKey === undefined ? { address: 0, block: 0 } : this.anonNames(ask.ipKey),
    };
  }

  /** The join returned this participation (new, or touched again): kept as told, over anything older. */
  record(p: Participant): void {
    this.write(p, "REPLACE");
  }

  /** An account was deleted: its participations keep their place under these names, without fingerprint or address. */
  anonymise(names: Map<string, string>): void {
    this.deps.transaction(() => {
      for (const [id, name] of names) {
        this.sql.exec(
          `UPDATE participants SET username = ?, username_key = ?, username_is_reserved = 0, fingerprint = NULL, ip_address = NULL WHERE id = ?`,
          name,
          usernameKey(name),
          id,
        );
      }
    });
  }

  /** A join taken back (its row deleted from Postgres). */
  forget(participationId: string): void {
    this.sql.exec(`DELETE FROM participants WHERE id = ?`, participationId);
  }

  private find(who: Identity): Participant | null {
    const rows =
      "userId" in who
        ? this.sql.exec<StoredRow>(`SELECT * FROM participants WHERE user_id = ?`, who.userId)
        : this.sql.exec<StoredRow>(`SELECT * FROM participants WHERE user_id IS NULL AND fingerprint = ?`, who.fingerprint);
    const [row] = rows.toArray();
    return row ? participantOfStored(row) : null;
  }

  /** Another participation of the caller's kind (anonymous or logged in) holds the name: Postgres' unique indexes are per kind. */
  private nameHeld(key: string, who: Identity): boolean {
    const rows =
      "userId" in who
        ? this.sql.exec(`SELECT 1 FROM participants WHERE username_key = ? AND user_id IS NOT NULL AND user_id != ? LIMIT 1`, key, who.userId)
        : this.sql.exec(`SELECT 1 FROM participants WHERE username_key = ? AND user_id IS NULL AND fingerprint IS NOT ? LIMIT 1`, key, who.fingerprint);
    return rows.toArray().length > 0;
  }

  /** The anonymous names this address (a /64 for IPv6) and its /48 hold: what the join's per-address rule counts. */
  private anonNames(ipKey: string): { address: number; block: number } {
    const count = (where: string, ...args: string[]) =>
      this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM participants WHERE user_id IS NULL AND ${where}`, ...args).one().n;
    const block = slash48Of(ipKey);
    return {
      address: count(`ip_address = ?`, ipKey),
      block: block ? count(`substr(ip_address, 1, length(?1)) = ?1`, block.keysStartWith) : 0,
    };
  }

  /** Postgres' participations of the room, once; with the details of bans the room stored before it kept them. */
  private async seed(): Promise<void> {
    await this.deps.roomSeeded();
    const room = this.deps.room();
    let rows: ParticipationRow[];
    let details: { banId: string; reason: string; username: string | null }[];
    try {
      [rows, details] = await this.deps.db.run((db) => db.batch([roomParticipationsQuery(db, room.id), activeBanDetails(db, room.id)]));
    } catch (e) {
      logEvent("participants_seed_failed", { room: room.code, error: errorText(e) });
      throw e;
    }
    this.deps.transaction(() => {
      // A row the join told the room of while this read was under way is as new or newer: it stays.
      for (const row of rows) this.write(participantOf(row), "IGNORE");
      this.deps.bans.fillDetails(details.map((d) => ({ banId: d.banId, ...banDetailsOf(d) })));
    });
    logEvent("participants_seeded", { room: room.code, participants: rows.length, bans: details.length });
  }

  private write(p: Participant, onConflict: "REPLACE" | "IGNORE"): void {
    this.sql.exec(
      `INSERT OR ${onConflict} INTO participants (id, user_id, fingerprint, username, username_key, username_is_reserved, ip_address, created_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      p.id,
      p.userId,
      p.fingerprint,
      p.username,
      usernameKey(p.username),
      p.usernameIsReserved ? 1 : 0,
      p.ipAddress,
      p.createdAt,
      p.lastSeenAt,
    );
  }
}

/** A Postgres participation as the room keeps it. */
export const participantOf = (row: ParticipationRow): Participant => ({
  id: row.id,
  userId: row.userId,
  fingerprint: row.fingerprint,
  username: row.username,
  usernameIsReserved: row.usernameIsReserved,
  ipAddress: row.ipAddress,
  createdAt: new Date(row.createdAt).getTime(),
  lastSeenAt: new Date(row.lastSeenAt).getTime(),
});

const participantOfStored = (r: StoredRow): Participant => ({
  id: r.id,
  userId: r.user_id,
  fingerprint: r.fingerprint,
  username: r.username,
  usernameIsReserved: r.username_is_reserved === 1,
  ipAddress: r.ip_address,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});
