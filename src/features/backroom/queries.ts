// The back room's seats and settings. Queries answer data or null.
import { and, count, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../../platform/db";
import { backroomMembers, chatRooms, transactions, type ChatRoomRow } from "../../platform/schema";

/** Whether the participation holds a back-room seat (the host needs none). */
export async function hasBackroomSeat(db: Db, roomId: string, participationId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: backroomMembers.id })
    .from(backroomMembers)
    .where(and(eq(backroomMembers.chatRoomId, roomId), eq(backroomMembers.participationId, participationId)));
  return row !== undefined;
}

/** Seats held in the back room: members, plus purchases still waiting on the provider (for 30 minutes). */
export async function backroomSeatsTaken(db: Db, roomId: string): Promise<number> {
  const [members] = await db.select({ n: count() }).from(backroomMembers).where(eq(backroomMembers.chatRoomId, roomId));
  const [pending] = await db
    .select({ n: count() })
    .from(transactions)
    .where(
      and(
        eq(transactions.chatRoomId, roomId),
        eq(transactions.type, "back_room"),
        eq(transactions.status, "pending"),
        gt(transactions.createdAt, sql`now() - interval '30 minutes'`),
      ),
    );
  return Number(members?.n ?? 0) + Number(pending?.n ?? 0);
}

/** Completed income per room the user hosts, by kind. */

/** Members of the room's back room, by participation id. */
export async function backroomMemberIds(db: Db, roomId: string): Promise<string[]> {
  const rows = await db.select({ id: backroomMembers.participationId }).from(backroomMembers).where(eq(backroomMembers.chatRoomId, roomId));
  return rows.map((r) => r.id);
}

/** Gives a paid seat; a second call for the same participation changes nothing. */
export async function addBackroomMember(db: Db, member: { chatRoomId: string; participationId: string; transactionId: string }) {
  await db.insert(backroomMembers).values(member).onConflictDoNothing();
}

export async function updateBackroomSettings(
  db: Db,
  roomId: string,
  settings: { enabled: boolean; priceCents?: number; seatLimit?: number },
): Promise<ChatRoomRow | null> {
  const [updated] = await db
    .update(chatRooms)
    .set({
      backroomEnabled: settings.enabled,
      ...(settings.priceCents !== undefined ? { backroomPriceCents: settings.priceCents } : {}),
      ...(settings.seatLimit !== undefined ? { backroomSeatLimit: settings.seatLimit } : {}),
    })
    .where(eq(chatRooms.id, roomId))
    .returning();
  return updated ?? null;
}
