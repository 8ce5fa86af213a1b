import type { z } from "zod";
import type { Channel } from "../../protocol";
import { ApiError, messageNotFound } from "../../platform/errors";
import type { Db } from "../../platform/db";
import { decodeCursor, encodeCursor } from "../../domain/cursor";
import { HISTORY_DEFAULT_LIMIT } from "../../domain/limits";
import type { RoomWithHost } from "../rooms/queries";
import { activePins, historyPage } from "./queries";
import { historyQuery, messageIdParam } from "./schemas";
// Shared by the history routes of the main room and the back room, and by every
// route that takes a message id in its path.
/** The message id of the path, or the 404 an unknown id gets anyway. */
export function messageIdOf(raw: string): string {
  if (!messageIdParam.safeParse(raw).success) throw messageNotFound();
  return raw;
}

/** One page of a channel's history, newest page first, with the keyset cursor to the page before it. */
export async function historyAnswer(db: Db, room: RoomWithHost, q: z.output<typeof historyQuery>, channel: Channel) {
  let beforeSeq: number | null = null;
  if (q.before !== undefined && q.before !== "") {
    beforeSeq = decodeCursor(q.before);
    if (beforeSeq === null) {
      throw new ApiError(400, "INVALID_CURSOR", "`before` must be a `next_before` value from an earlier page.");
    }
  }
  const limit = q.limit ?? HISTORY_DEFAULT_LIMIT;
  const [page, pinned] = await Promise.all([
    historyPage(db, room, { limit, beforeSeq, channel }),
    channel === "main" ? activePins(db, room) : Promise.resolve([]),
  ]);
  const oldest = page.messages[0];
  return {
    messages: page.messages,
    pinned_messages: pinned,
    has_more: page.hasMore,
    next_before: page.hasMore && oldest ? encodeCursor(oldest.seq) : null,
    count: page.messages.length,
  };
}
