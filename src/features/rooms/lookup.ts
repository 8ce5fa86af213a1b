// The room a request names, for every feature's routes: a code that is not a
// room's is the same 404 everywhere.
import { ApiError } from "../../platform/errors";
import type { Db } from "../../platform/db";
import { isRoomCode } from "../../domain/room-code";
import { findRoom, type RoomWithHost } from "./queries";
import { verifySecret } from "../../domain/passwords";

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

const ACCESS_CODE_MAX_CHARS = 64;

/** A private room lets in only who knows its access code (403 ACCESS_CODE_INVALID otherwise); a public room everyone. */
export async function checkAccessCode(room: RoomWithHost, given: string | undefined) {
  if (room.accessMode !== "private") return;
  // An over-long code cannot be right: refuse it without spending a hash on it.
  const fits = given !== undefined && given.length > 0 && given.length <= ACCESS_CODE_MAX_CHARS;
  if (!fits || !room.accessCodeHash || !(await verifySecret(given, room.accessCodeHash))) {
    throw new ApiError(403, "ACCESS_CODE_INVALID", "This room is private: the access code is missing or wrong.");
  }
}

/** Header that carries a private room's access code on a read that has no body. */
export const ACCESS_CODE_HEADER = "X-Access-Code";
