// Room lookups shared by the REST routes and the WebSocket entry.
import { eq } from "drizzle-orm";
import type { Db } from "../../platform/db";
import { chatRooms, users, type ChatRoomRow } from "../../platform/schema";
import { ApiError } from "../../platform/errors";
import { isRoomCode } from "../../domain/room-code";

export type RoomWithHost = ChatRoomRow & { hostReservedUsername: string };

export const roomNotFound = () =>
  new ApiError(404, "ROOM_NOT_FOUND", "No chat room has that code; check the code or create a room.");

export async function loadRoom(db: Db, code: string): Promise<RoomWithHost> {
  if (!isRoomCode(code)) throw roomNotFound();
  const [row] = await db
    .select({ room: chatRooms, hostReservedUsername: users.reservedUsername })
    .from(chatRooms)
    .innerJoin(users, eq(users.id, chatRooms.hostId))
    .where(eq(chatRooms.code, code));
  if (!row) throw roomNotFound();
  return { ...row.room, hostReservedUsername: row.hostReservedUsername };
}

/** The public room object of API.md: never the access code. */
export function publicRoom(room: RoomWithHost, requestUrl: string) {
  const url = new URL(requestUrl);
  const scheme = url.protocol === "https:" ? "wss:" : "ws:";
  return {
    code: room.code,
    name: room.name,
    description: room.description,
    access_mode: room.accessMode,
    host: { reserved_username: room.hostReservedUsername },
    created_at: room.createdAt.toISOString(),
    ws_url: `${scheme}//${url.host}/ws/chat/${room.code}/`,
  };
}
