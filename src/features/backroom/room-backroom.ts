// Who is in the room's paid back room. The room keeps the members in its own
// storage (room-schema.ts), written when a purchase completes or is taken
// back (both run in the room), and in memory while it is awake, so a
// back-room send, resume or broadcast needs no query and a wake reads no
// Postgres. Postgres fills it only when the room's storage is seeded
// (room-seed.ts). The host is always in (their session says so).
import type { SessionClaims } from "../../domain/tokens";

export interface RoomBackroomDeps {
  sql: SqlStorage;
  /** Resolves once the room's storage is seeded (null: it is); throws while Postgres cannot seed it. */
  seeded(): Promise<void> | null;
}

export class RoomBackroom {
  private members = new Set<string>();

  constructor(private readonly deps: RoomBackroomDeps) {}

  /** Reads the members from the room's storage (on wake and after a seed). */
  load(): void {
    const rows = this.deps.sql.exec<{ participation_id: string }>(`SELECT participation_id FROM backroom_members`);
    this.members = new Set([...rows].map((r) => r.participation_id));
  }

  /** The host is always in; everyone else by a completed purchase. */
  async admits(claims: SessionClaims): Promise<boolean> {
    if (claims.isHost) return true;
    await this.deps.seeded();
    return this.members.has(claims.participationId);
  }

  /** For broadcasts: answers from memory (a send has waited for the seed before its broadcast). */
  admitsNow(claims: SessionClaims): boolean {
    return claims.isHost || this.members.has(claims.participationId);
  }

  /** The members, for the room's relays. */
  async memberIds(): Promise<string[]> {
    await this.deps.seeded();
    return [...this.members];
  }

  add(participationId: string): void {
    this.deps.sql.exec(`INSERT OR IGNORE INTO backroom_members (participation_id) VALUES (?)`, participationId);
    this.members.add(participationId);
  }

  remove(participationId: string): void {
    this.deps.sql.exec(`DELETE FROM backroom_members WHERE participation_id = ?`, participationId);
    this.members.delete(participationId);
  }

  /** Replaces the stored members with Postgres' (the seed; inside its transaction). */
  seed(participationIds: string[]): void {
    this.deps.sql.exec(`DELETE FROM backroom_members`);
    for (const id of participationIds) this.deps.sql.exec(`INSERT OR IGNORE INTO backroom_members (participation_id) VALUES (?)`, id);
  }
}
