// Room queries. They answer data or null; the routes decide what a miss means.
import { count, eq, sql } from "drizzle-orm";
import type { Db } from "../../platform/db";
import { chatRooms, messages, users, type ChatRoomRow } from "../../platform/schema";
import { isUniqueViolation, pgErrorConstraint } from "../../platform/db";

export type RoomWithHost = ChatRoomRow & { hostReservedUsername: string | null; messageCount: number };

/** The room with that code and its host's reserved name, or null. */
export async function findRoom(db: Db, code: string): Promise<RoomWithHost | null> {
  const [row] = await findRoomQuery(db, code);
  return roomOfRow(row);
}

/** Stands in for an id a batch does not have (no bearer token, no session): matches no row. */
export const NO_ID = "00000000-0000-0000-0000-000000000000";

/** The id of the room with this code, inside a query: lookups by code need no earlier round trip for the id. */
export const roomIdOf = (code: string) => sql`(select ${chatRooms.id} from ${chatRooms} where ${chatRooms.code} = ${code})`;

/** The room lookup as a query not yet sent, so it can travel in a batch with others. */
export const findRoomQuery = (db: Db, code: string) =>
  db
    .select({ room: chatRooms, hostReservedUsername: users.reservedUsername, messageCount: messageCountOf })
    .from(chatRooms)
    .innerJoin(users, eq(users.id, chatRooms.hostId))
    .where(eq(chatRooms.code, code));

/**
 * Messages sent in the main room: its newest seq (deleted ones included). One index lookup, where
 * counting live rows would scan a big room's history on every room read.
 */
const messageCountOf = sql<number>`coalesce((select max(${messages.seq}) from ${messages} where ${messages.chatRoomId} = ${chatRooms.id} and ${messages.channel} = 'main'), 0)::int`;

export const roomOfRow = (row: { room: ChatRoomRow; hostReservedUsername: string | null; messageCount: number } | undefined): RoomWithHost | null =>
  row ? { ...row.room, hostReservedUsername: row.hostReservedUsername, messageCount: Number(row.messageCount) } : null;

/** How many rooms the account hosts (its room quota counts them). */
export async function roomsHostedBy(db: Db, userId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(chatRooms).where(eq(chatRooms.hostId, userId));
  return Number(row?.n ?? 0);
}

export async function findRoomById(db: Db, id: string): Promise<ChatRoomRow | null> {
  const [row] = await db.select().from(chatRooms).where(eq(chatRooms.id, id));
  return row ?? null;
}

/** A new room; null when its code is taken already (the caller draws another). */
export async function insertRoom(db: Db, values: typeof chatRooms.$inferInsert): Promise<ChatRoomRow | null> {
  try {
    const [row] = await db.insert(chatRooms).values(values).returning();
    return row!;
  } catch (e) {
    if (isUniqueViolation(e) && pgErrorConstraint(e) === "chat_rooms_code_key") return null;
    throw e;
  }
}
