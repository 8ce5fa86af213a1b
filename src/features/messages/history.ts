import type { z } from "zod";
import type { Channel } from "../../protocol";
import { ApiError, messageNotFound } from "../../platform/errors";
import type { HttpDb } from "../../platform/db";
import { decodeCursor, encodeCursor } from "../../domain/cursor";
import { HISTORY_DEFAULT_LIMIT } from "../../domain/limits";
import type { RoomWithHost } from "../rooms/queries";
import { roomNotFound } from "../rooms/lookup";
import { isRoomCode } from "../../domain/room-code";
import { historyWithRoom } from "./queries";
import { historyQuery, messageIdParam } from "./schemas";
// Shared by the history routes of the main room and the back room, and by every
// route that takes a message id in its path.
/** The message id of the path, or the 404 an unknown id gets anyway. */
export function messageIdOf(raw: string): string {
  if (!messageIdParam.safeParse(raw).success) throw messageNotFound();
  return raw;
}

/**
 * One page of a channel's history, newest page first, with the keyset cursor
 * to the page before it, and the room it belongs to (404 when there is none):
 * one round trip. The caller checks access to the room before answering.
 */
export async function historyAnswer(db: HttpDb, code: string, q: z.output<typeof historyQuery>, channel: Channel) {
  let beforeSeq: number | null = null;
  if (q.before !== undefined && q.before !== "") {
    beforeSeq = decodeCursor(q.before);
    if (beforeSeq === null) {
      throw new ApiError(400, "INVALID_CURSOR", "`before` must be a `next_before` value from an earlier page.");
    }
  }
  if (!isRoomCode(code)) throw roomNotFound();
  const limit = q.limit ?? HISTORY_DEFAULT_LIMIT;
  const page = await historyWithRoom(db, code, { limit, beforeSeq, channel, withPins: channel === "main" });
  if (!page.room) throw roomNotFound();
  const oldest = page.messages[0];
  const room: RoomWithHost = page.room;
  return {
    room,
    answer: {
      messages: page.messages,
      pinned_messages: page.pinned,
      has_more: page.hasMore,
      next_before: page.hasMore && oldest ? encodeCursor(oldest.seq) : null,
      count: page.messages.length,
    },
  };
}
