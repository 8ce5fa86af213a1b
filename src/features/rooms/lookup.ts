// The room a request names, for every feature's routes: a code that is not a
// room's is the same 404 everywhere.
import { ApiError } from "../../platform/errors";
import type { Db } from "../../platform/db";
import { isRoomCode } from "../../domain/room-code";
import { findRoom, type RoomWithHost } from "./queries";

export const roomNotFound = () => new ApiError(404, "ROOM_NOT_FOUND", "No chat room has that code; check the code or create a room.");

/** The room with that code, or 404 ROOM_NOT_FOUND (without a query when the code cannot be one). */
export async function requireRoom(db: Db, code: string): Promise<RoomWithHost> {
  const room = isRoomCode(code) ? await findRoom(db, code) : null;
  if (!room) throw roomNotFound();
  return room;
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
