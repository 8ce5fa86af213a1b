// What the daily retention job clears (a Cron Trigger, wrangler.toml [triggers]): the
// addresses participations were joined from, RETENTION_DAYS after their last visit
// (they serve per-address limits, which look back minutes to hours), and bans that
// ended (revoked or expired) that long ago, with the fingerprints, addresses and
// accounts they captured. Fingerprints of anonymous participations stay: they are
// how a returning visitor gets their name back, and leave with the participation.
import { and, isNotNull, lt, or, sql } from "drizzle-orm";
import type { HttpDb } from "../../platform/db";
import { chatBans, chatRooms, participations } from "../../platform/schema";

export const DAY_MS = 86_400_000;

export interface RetentionReport {
  addresses_cleared: number;
  bans_deleted: number;
  /** Rooms whose participant copies hold those addresses too. */
  rooms: string[];
}

/** Clears what is older than the cutoff, in one transaction. */
export async function applyRetention(db: HttpDb, cutoff: Date): Promise<RetentionReport> {
  const [cleared, deleted] = await db.batch([
    db
      .update(participations)
      .set({ ipAddress: null })
      .where(and(isNotNull(participations.ipAddress), lt(participations.lastSeenAt, cutoff)))
      .returning({ roomId: participations.chatRoomId }),
    db
      .delete(chatBans)
      .where(or(lt(chatBans.revokedAt, cutoff), lt(chatBans.expiresAt, cutoff)))
      .returning({ id: chatBans.id }),
  ]);
  const roomIds = [...new Set(cleared.map((r) => r.roomId))];
  const rooms =
    roomIds.length === 0
      ? []
      : (await db.select({ code: chatRooms.code }).from(chatRooms).where(sql`${chatRooms.id} = any(${sql.param(roomIds)}::uuid[])`)).map((r) => r.code);
  return { addresses_cleared: cleared.length, bans_deleted: deleted.length, rooms };
}
