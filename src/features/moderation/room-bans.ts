// The room's ban index: which participations an active ban covers. It lives in
// the room's own storage (room-schema.ts), written when the ban and unban
// routes tell the room (enforceBan / liftBan RPCs), and is kept in memory
// while the room is awake, so a ban applies at once to open sockets and to
// every send, with no query per frame and no Postgres read on wake. Postgres
// fills it only when the room's storage is seeded (room-seed.ts). Each ban
// also keeps its reason and the name it bans (if it names one), so the open
// flow's lookups answer "are you banned" and "is this name banned" from here
// (room-participants.ts fills them for bans stored before the room kept them).
import type { SessionClaims } from "../../domain/tokens";
import { errorText, logEvent } from "../../platform/log";
import { usernameKey } from "../../domain/usernames";

/** What the ban route tells the room after storing a ban. */
export interface BanOrder extends BanDetails {
  banId: string;
  /** Epoch ms, or null for a ban without end. */
  expiresAt: number | null;
  participationIds: string[];
  /** A system message to post, when the host chose to announce the removal. */
  announcement: string | null;
}

/** What a ban says besides whom it covers: its reason ("" for none) and the name it bans (lowercase), if any. */
export interface BanDetails {
  reason: string;
  usernameKey: string | null;
}

/** One active ban as the room keeps it (and as the seed reads it from Postgres). */
export interface BanEntry extends BanDetails {
  banId: string;
  expiresAt: number | null;
  participationIds: string[];
}

/** The ban a lookup shows a covered participant: the longest one covering it. */
export interface CoveringBan {
  reason: string;
  /** Epoch ms, or null: no end. */
  expiresAt: number | null;
}

export interface RoomBansDeps {
  sql: SqlStorage;
  transaction<T>(fn: () => T): T;
  /** The room's clock: a ban ends by it, so tests move time instead of waiting. */
  now(): number;
  /** Resolves once the room's storage is seeded (null: it is); throws while Postgres cannot seed it. */
  seeded(): Promise<void> | null;
  roomCode: string;
}

export class RoomBans {
  /** Participation → the end of the longest ban covering it (null: no end). */
  private covered = new Map<string, number | null>();

  constructor(private readonly deps: RoomBansDeps) {}

  /** Reads the index from the room's storage (on wake and after a seed), dropping bans that have ended. */
  load(): void {
    const { sql, now } = this.deps;
    this.deps.transaction(() => {
      sql.exec(`DELETE FROM ban_participations WHERE ban_id IN (SELECT ban_id FROM bans WHERE expires_at <= ?)`, now());
      sql.exec(`DELETE FROM bans WHERE expires_at <= ?`, now());
    });
    this.covered.clear();
    const rows = sql.exec<{ participation_id: string; expires_at: number | null }>(
      `SELECT p.participation_id, b.expires_at FROM ban_participations p JOIN bans b ON b.ban_id = p.ban_id`,
    );
    for (const r of rows) this.cover(r.participation_id, r.expires_at);
  }

  /**
   * Whether an active ban covers this participant. A room whose storage is not seeded yet (and
   * cannot be, Postgres being away) refuses a send by the error, while a connect may let the
   * socket in (failOpen) and check at its first send.
   */
  async covers(claims: SessionClaims, opts: { failOpen?: boolean } = {}): Promise<boolean> {
    const seeding = this.deps.seeded();
    if (seeding) {
      try {
        await seeding;
      } catch (e) {
        if (!opts.failOpen) throw e;
        logEvent("ban_index_unavailable", { room: this.deps.roomCode, error: errorText(e) });
        return false;
      }
    }
    if (!this.covered.has(claims.participationId)) return false;
    const until = this.covered.get(claims.participationId)!;
    return until === null || until > this.deps.now();
  }

  /** The longest active ban covering the participation, or null (the host is never covered: see roomBanIndex). */
  coveringBan(participationId: string): CoveringBan | null {
    const [row] = this.deps.sql
      .exec<{ reason: string | null; expires_at: number | null }>(
        `SELECT b.reason, b.expires_at FROM ban_participations p JOIN bans b ON b.ban_id = p.ban_id
         WHERE p.participation_id = ? AND (b.expires_at IS NULL OR b.expires_at > ?)
         ORDER BY b.expires_at IS NULL DESC, b.expires_at DESC LIMIT 1`,
        participationId,
        this.deps.now(),
      )
      .toArray();
    return row ? { reason: row.reason ?? "", expiresAt: row.expires_at } : null;
  }

  /** Whether an active ban names this username (a lowercase key); it does not reach its verified owner (the caller decides that). */
  namesUsername(usernameKey: string): boolean {
    const rows = this.deps.sql.exec(`SELECT 1 FROM bans WHERE username_key = ? AND (expires_at IS NULL OR expires_at > ?) LIMIT 1`, usernameKey, this.deps.now());
    return rows.toArray().length > 0;
  }

  /** Fills the reason and name of bans stored before the room kept them (inside the caller's transaction). */
  fillDetails(details: (BanDetails & { banId: string })[]): void {
    for (const d of details) this.deps.sql.exec(`UPDATE bans SET reason = ?, username_key = ? WHERE ban_id = ?`, d.reason, d.usernameKey, d.banId);
  }

  /** Stores a ban the route stored in Postgres; it applies from now on. */
  add(order: BanOrder): void {
    this.deps.transaction(() => this.write(order));
    for (const id of order.participationIds) this.cover(id, order.expiresAt);
  }

  /** Lifts a ban (a no-op for one the room does not have). */
  remove(banId: string): void {
    const { sql } = this.deps;
    this.deps.transaction(() => {
      sql.exec(`DELETE FROM ban_participations WHERE ban_id = ?`, banId);
      sql.exec(`DELETE FROM bans WHERE ban_id = ?`, banId);
    });
    // Another ban may still cover the same participants: the index is read again.
    this.load();
  }

  /** Replaces the stored bans with Postgres' (the seed; inside its transaction). */
  seed(bans: BanEntry[]): void {
    this.deps.sql.exec(`DELETE FROM ban_participations`);
    this.deps.sql.exec(`DELETE FROM bans`);
    for (const ban of bans) this.write(ban);
  }

  private write(ban: BanEntry) {
    const { sql } = this.deps;
    sql.exec(
      `INSERT OR REPLACE INTO bans (ban_id, expires_at, reason, username_key) VALUES (?, ?, ?, ?)`,
      ban.banId,
      ban.expiresAt,
      ban.reason,
      ban.usernameKey,
    );
    for (const id of ban.participationIds) {
      sql.exec(`INSERT OR IGNORE INTO ban_participations (ban_id, participation_id) VALUES (?, ?)`, ban.banId, id);
    }
  }

  private cover(participationId: string, until: number | null) {
    const known = this.covered.get(participationId);
    const longest = known === null || until === null ? null : Math.max(known ?? 0, until);
    this.covered.set(participationId, longest);
  }
}

/** Postgres' rows of the room's active bans (roomBanIndex), one entry a ban. */
export function banEntries(rows: { banId: string; expiresAt: Date | null; reason: string; username: string | null; participationId: string }[]): BanEntry[] {
  const bans = new Map<string, BanEntry>();
  for (const r of rows) {
    let ban = bans.get(r.banId);
    if (!ban) {
      const entry: BanEntry = { banId: r.banId, expiresAt: r.expiresAt?.getTime() ?? null, ...banDetailsOf(r), participationIds: [] };
      bans.set(r.banId, (ban = entry));
    }
    ban.participationIds.push(r.participationId);
  }
  return [...bans.values()];
}

/** A Postgres ban row's details as the room keeps them. */
export const banDetailsOf = (ban: { reason: string; username: string | null }): BanDetails => ({
  reason: ban.reason,
  usernameKey: ban.username === null ? null : usernameKey(ban.username),
});
