// Whether a room session still stands, as queries that travel in a caller's
// batch (no round trip of their own) and the rule applied to their answers.
// Kept apart from session.ts (the HTTP side) so the room's own code and the
// operator tools can use them without Hono.
import { ApiError } from "../../platform/errors";
import type { Db } from "../../platform/db";
import type { SessionClaims } from "../../domain/tokens";
import type { ChatBanRow } from "../../platform/schema";
import { activeSessionUserQuery } from "../accounts/queries";
import { activeBanQuery, bannedBy } from "../moderation/queries";
import { subjectOfParticipation } from "./participation-queries";
import { NO_ID, roomIdOf } from "./queries";

export const sessionEnded = () =>
  new ApiError(401, "SESSION_ENDED", "This room session belonged to a login that has ended (logged out); log in and join the room again.");

/**
 * What decides whether a session still stands, as queries not yet sent (for a batch):
 * its login, if any, is live; and the active ban of the room that covers its participation.
 */
export const standingQueries = (db: Db, code: string, claims: SessionClaims | null) =>
  [
    activeSessionUserQuery(db, claims?.authSessionId ?? NO_ID, claims?.userId ?? NO_ID),
    activeBanQuery(db, roomIdOf(code), [subjectOfParticipation(claims?.participationId ?? NO_ID)]),
  ] as const;

/** Refuses a session whose login ended, and (reads) one a ban covers; the host is never covered. */
export function checkStanding(claims: SessionClaims, logins: unknown[], bans: ChatBanRow[], opts: { bans: boolean }): void {
  if (claims.authSessionId !== null && logins.length === 0) throw sessionEnded();
  if (opts.bans && !claims.isHost && bans[0]) throw bannedBy(bans[0]);
}

