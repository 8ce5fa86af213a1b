import type { z } from "zod";
import type { Channel, PublicMessage } from "../../protocol";
import { ApiError, messageNotFound, notBackroomMember } from "../../platform/errors";
import type { SessionClaims } from "../../domain/tokens";
import { checkReader } from "../rooms/session";
import type { HttpDb } from "../../platform/db";
import { encodeCursor, parseBefore, type Before } from "../../domain/cursor";
import { HISTORY_DEFAULT_LIMIT } from "../../domain/limits";
import { roomNotFound } from "../rooms/lookup";
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
 * to the page before it, for a reader with or without a room session: one
 * round trip for the room, the page, the pins and whether the session may read.
 * A private room needs a session, the back room a member's or the host's; a
 * session given must stand (its login live, no ban covering it).
 */
export async function historyAnswer(db: HttpDb, code: string, q: z.output<typeof historyQuery>, channel: Channel, reader: SessionClaims | null) {
  let before: Before | null = null;
  if (q.before !== undefined && q.before !== "") {
    before = parseBefore(q.before);
    if (before === null) {
      throw new ApiError(
        400,
        "INVALID_CURSOR",
        "`before` must be a `next_before` value from an earlier page, or a time (Unix seconds, or ISO 8601 with a time zone).",
      );
    }
  }
  const limit = q.limit ?? HISTORY_DEFAULT_LIMIT;
  const page = await historyWithRoom(db, code, { limit, before, channel, withPins: channel === "main" }, reader);
  if (!page.room) throw roomNotFound();
  checkReader(reader, page.reader, page.room.accessMode === "private" || channel === "backroom");
  if (channel === "backroom" && !page.reader.inBackroom) {
    throw notBackroomMember("The back room's messages are for its members; join the back room first.");
  }
  return pageAnswer(page);
}

/** A page as the API answers it (historyPageSchema): the cursor to the page before it, when there is one. */
export function pageAnswer(page: { messages: PublicMessage[]; pinned: PublicMessage[]; hasMore: boolean }) {
  const oldest = page.messages[0];
  return {
    messages: page.messages,
    pinned_messages: page.pinned,
    has_more: page.hasMore,
    next_before: page.hasMore && oldest ? encodeCursor(oldest.seq) : null,
    count: page.messages.length,
  };
}
