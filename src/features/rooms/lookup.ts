// The room a request names, for every feature's routes: a code that is not a
// room's is the same 404 everywhere.
import { ApiError } from "../../platform/errors";
import type { Db } from "../../platform/db";
import { isRoomCode } from "../../domain/room-code";
import { findRoom, type RoomWithHost } from "./queries";
import { createMiddleware } from "hono/factory";
import { roomStub } from "../../platform/room-stub";
import type { AppEnv } from "../../platform/http/context";
import { unwrap } from "../../platform/rpc-result";
import type { ParticipantAsk, ParticipantFacts } from "./room-participants";

/**
 * Every `/api/chats/:code/…` route: a code that cannot be a room's is 404 before anything is read.
 * (`POST /api/chats/create` shares the pattern; it names no room.)
 */
export const validRoomCode = createMiddleware<AppEnv>(async (c, next) => {
  const code = c.req.param("code");
  if (code !== "create" && (code === undefined || !isRoomCode(code))) throw roomNotFound();
  await next();
});

export const roomNotFound = () => new ApiError(404, "ROOM_NOT_FOUND", "No chat room has that code; check the code or create a room.");

/** The room with that code, or 404 ROOM_NOT_FOUND (without a query when the code cannot be one). */
export async function requireRoom(db: Db, code: string): Promise<RoomWithHost> {
  const room = isRoomCode(code) ? await findRoom(db, code) : null;
  if (!room) throw roomNotFound();
  return room;
}

/**
 * The room with that code as the room itself keeps it (room-facts.ts): no Postgres round trip
 * once the room knows what it is; 404 ROOM_NOT_FOUND when no room has the code.
 */
export async function roomFromItself(env: Env, code: string): Promise<RoomWithHost> {
  const room = isRoomCode(code) ? await roomStub(env, code).details() : null;
  if (!room) throw roomNotFound();
  return room;
}

/**
 * The room and what it knows of the caller (room-participants.ts), in one call to the room and no
 * Postgres round trip once the room's copy is seeded; 404 ROOM_NOT_FOUND when no room has the code.
 */
export async function roomAndParticipant(env: Env, code: string, ask: ParticipantAsk): Promise<{ room: RoomWithHost; facts: ParticipantFacts }> {
  const found = isRoomCode(code) ? unwrap(await roomStub(env, code).participantFacts(ask)) : null;
  if (!found) throw roomNotFound();
  return found;
}

/**
 * The public room object of API.md: never the access code. Carries what the original ChatPop web
 * client reads too (`id`, `url`, `host.id`, its media and theme flags); this service is text only,
 * so the media flags are always false.
 */
export function publicRoom(room: RoomWithHost, requestUrl: string) {
  const url = new URL(requestUrl);
  const scheme = url.protocol === "https:" ? "wss:" : "ws:";
  return {
    id: room.id,
    code: room.code,
    name: room.name,
    description: room.description,
    access_mode: room.accessMode,
    host: { id: room.hostId, reserved_username: room.hostReservedUsername },
    url: `/chat/${room.code}`,
    voice_enabled: false,
    video_enabled: false,
    photo_enabled: false,
    default_theme: DEFAULT_THEME,
    theme_locked: false,
    message_count: room.messageCount,
    has_back_room: room.backroomEnabled,
    is_active: true,
    created_at: room.createdAt.toISOString(),
    ws_url: `${scheme}//${url.host}/ws/chat/${room.code}/`,
  };
}

/** The original web client's default look; rooms here do not choose one. */
const DEFAULT_THEME = "purple-dream";
