// Who is in the room's paid back room, kept in the Durable Object's memory so
// each back-room send and broadcast needs no query. Loaded from Postgres on
// first use after a wake; a completed purchase adds its buyer at once.
import type { SessionClaims } from "../../domain/tokens";
import type { RoomDb } from "../../platform/room-db";
import { backroomMemberIds } from "./queries";

export class RoomBackroom {
  private members: Set<string> | null = null;
  private loading: Promise<Set<string>> | null = null;

  constructor(private readonly db: RoomDb) {}

  /** The host is always in; everyone else by a completed purchase. */
  async admits(claims: SessionClaims): Promise<boolean> {
    if (claims.isHost) return true;
    const members = this.members ?? (await this.load(claims.roomId));
    return members.has(claims.participationId);
  }

  /** For broadcasts: answers from memory (a send has loaded the set before its broadcast). */
  admitsNow(claims: SessionClaims): boolean {
    return claims.isHost || (this.members?.has(claims.participationId) ?? false);
  }

  /** The members (loaded if this wake has not yet), for the room's relays. */
  async memberIds(roomId: string): Promise<string[]> {
    return [...(this.members ?? (await this.load(roomId)))];
  }

  add(participationId: string): void {
    this.members?.add(participationId);
  }

  remove(participationId: string): void {
    this.members?.delete(participationId);
  }

  private load(roomId: string): Promise<Set<string>> {
    this.loading ??= this.db
      .run((conn) => backroomMemberIds(conn, roomId))
      .then((ids) => (this.members = new Set(ids)))
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}
