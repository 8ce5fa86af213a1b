// A room's part in deleting an account (features/accounts/deletion.ts), run in the
// room's serial order after everything it committed reached Postgres: the account's
// messages here take their participation's anonymous name in Postgres and in the
// room's log (replies quoting them too), its participant copy loses the name,
// fingerprint and address, a room it hosted stops naming it, and the Redis windows
// are rebuilt from Postgres (which now says nothing of the person).
import { anonymiseRoomMessages, anonymisedName } from "../features/accounts/deletion";
import { rebuildRoomCache } from "../features/messages/cache-rebuild";
import type { RoomParticipants } from "../features/rooms/room-participants";
import type { RoomStores } from "../features/room-stores";
import { errorText, logEvent } from "../platform/log";
import type { MessageLog } from "./message-log";
import type { RoomFacts } from "./room-facts";

/** What the Worker tells each room the account was in. */
export interface AccountLeaving {
  participationIds: string[];
  /** The account hosts this room. */
  hosted: boolean;
  /** Its logins that may hold room sessions: they end here (sockets closed 4003, no new ones). */
  authSessionIds: string[];
}

export interface ForgetDeps extends RoomStores {
  log: MessageLog;
  participants: RoomParticipants;
  facts: RoomFacts;
}

/** Answers how many logged messages were renamed. */
export async function forgetAccountHere(deps: ForgetDeps, order: AccountLeaving): Promise<number> {
  const { db, room, redis, window, cacheHealth } = deps;
  const renamedMessages = await db.run((conn) => anonymiseRoomMessages(conn, room.id, order.participationIds));
  const renamed = deps.log.renameAuthors(renamedMessages);
  deps.participants.anonymise(new Map(order.participationIds.map((id) => [id, anonymisedName(id)])));
  if (order.hosted) await deps.facts.hostGone();
  // A failed rebuild marks Redis stale: the room rebuilds it before its next append.
  await cacheHealth.write(
    async () => void (await db.run((conn) => rebuildRoomCache(conn, redis, room, window))),
    (e) => logEvent("cache_write_failed", { room: room.code, count: renamed, error: errorText(e) }),
  );
  return renamed;
}
