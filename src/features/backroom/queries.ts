// The back room's seats and settings. Queries answer data or null.
import { and, count, eq, gt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../platform/db";
import { backroomMembers, chatRooms, participations, transactions, type ChatRoomRow } from "../../platform/schema";

/** Whether the session may read the back room: the host, or a participation with a seat. */
export async function isBackroomMember(db: Db, roomId: string, claims: { isHost: boolean; participationId: string }): Promise<boolean> {
  return claims.isHost || (await hasBackroomSeat(db, roomId, claims.participationId));
}

/** Whether the participation holds a back-room seat (the host needs none). */
export async function hasBackroomSeat(db: Db, roomId: string, participationId: string): Promise<boolean> {
  return (await backroomSeatQuery(db, sql`${roomId}`, participationId)).length > 0;
}

/** The same as a query not yet sent (a row when seated); the room may be a subquery (roomIdOf), for a batch. */
export const backroomSeatQuery = (db: Db, roomId: SQL, participationId: string) =>
  db
    .select({ id: backroomMembers.id })
    .from(backroomMembers)
    .where(and(sql`${backroomMembers.chatRoomId} = ${roomId}`, eq(backroomMembers.participationId, participationId)));

/** A seat purchase waiting on the provider holds its seat this long; after it, the seat is free again. */
const PENDING_SEAT_HOLD = sql`interval '30 minutes'`;

const pendingSeats = (roomId: string) =>
  and(
    eq(transactions.chatRoomId, roomId),
    eq(transactions.type, "back_room"),
    eq(transactions.status, "pending"),
    gt(transactions.createdAt, sql`now() - ${PENDING_SEAT_HOLD}`),
  );

/** Seats held in the back room: members, plus purchases still waiting on the provider. */
export async function backroomSeatsTaken(db: Db, roomId: string): Promise<number> {
  const members = await backroomMemberCount(db, roomId);
  const [pending] = await db.select({ n: count() }).from(transactions).where(pendingSeats(roomId));
  return members + Number(pending?.n ?? 0);
}

/** Seats given (paid and applied), without the pending ones. */
export async function backroomMemberCount(db: Db, roomId: string): Promise<number> {
  const [members] = await db.select({ n: count() }).from(backroomMembers).where(eq(backroomMembers.chatRoomId, roomId));
  return Number(members?.n ?? 0);
}

/** Whether the participation already has a seat purchase waiting on the provider (one at a time). */
export async function hasPendingSeat(db: Db, roomId: string, participationId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: transactions.id })
    .from(transactions)
    .where(and(pendingSeats(roomId), eq(transactions.participationId, participationId)))
    .limit(1);
  return row !== undefined;
}

/** Completed income per room the user hosts, by kind. */

/** Members of the room's back room, by participation id. */
export async function backroomMemberIds(db: Db, roomId: string): Promise<string[]> {
  const rows = await db.select({ id: backroomMembers.participationId }).from(backroomMembers).where(eq(backroomMembers.chatRoomId, roomId));
  return rows.map((r) => r.id);
}

/** The seat holders, earliest first, with their names and what their seat cost. */
export async function backroomMembersOf(db: Db, roomId: string) {
  return db
    .select({
      id: backroomMembers.id,
      username: participations.username,
      usernameIsReserved: participations.usernameIsReserved,
      amountCents: transactions.amountCents,
      joinedAt: backroomMembers.createdAt,
    })
    .from(backroomMembers)
    .innerJoin(participations, eq(participations.id, backroomMembers.participationId))
    .leftJoin(transactions, eq(transactions.id, backroomMembers.transactionId))
    .where(eq(backroomMembers.chatRoomId, roomId))
    .orderBy(backroomMembers.createdAt);
}

/** Gives a paid seat; a second call for the same participation changes nothing. */
export async function addBackroomMember(db: Db, member: { chatRoomId: string; participationId: string; transactionId: string }) {
  await db.insert(backroomMembers).values(member).onConflictDoNothing();
}

/** Takes back the seat a (refunded) payment gave. */
export async function removeBackroomMember(db: Db, transactionId: string): Promise<void> {
  await db.delete(backroomMembers).where(eq(backroomMembers.transactionId, transactionId));
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
