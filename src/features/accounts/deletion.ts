// Deleting an account (DELETE /api/auth/me/): the person leaves, what they did stays
// without them. The account row stays as an empty tombstone (the rooms it hosts and
// its payments point at it): its email, password hash and reserved name go, and so do
// every login. Each of its participations keeps its place (a payment's record needs
// it) under a name that says nothing (deleted_<8 characters of its id>), without the
// fingerprint and address it joined with; its messages carry that name and no account
// id, in Postgres, in every room's own log and in the Redis windows. Transactions keep
// their amounts and states (what payment law asks for), now tied to no person.
//
// Order, so that a failure can be retried by the person (whose login must still work):
// every room the account was in is told first (room-deletion.ts: it flushes, renames
// in its log and in Postgres, rebuilds its Redis windows, closes the account's sockets);
// only when all of them did is the account itself emptied, in one transaction.
import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { Db, HttpDb } from "../../platform/db";
import { authSessions, chatRooms, messages, participations, users } from "../../platform/schema";

/** The name a participation of a deleted account shows, in the room and on its messages. */
export const anonymisedName = (participationId: string) => `deleted_${participationId.replace(/-/g, "").slice(0, 8)}`;

/** The same name, computed by Postgres from a participation id column. */
const anonymisedNameSql = (participationId: typeof participations.id | typeof messages.participationId) =>
  sql`'deleted_' || left(replace(${participationId}::text, '-', ''), 8)`;

/** A message of a deleted account: its participation's anonymous name, no account. */
const anonymousAuthor = { username: anonymisedNameSql(messages.participationId), usernameIsReserved: false, userId: null };

export interface AccountFootprint {
  /** Every room the account is in, with its participation there and the logins that may hold its room sessions. */
  rooms: { code: string; participationIds: string[]; hosted: boolean }[];
  authSessionIds: string[];
}

/** Where the account is: its participations by room, the rooms it hosts, its live logins (one round trip). */
export async function accountFootprint(db: HttpDb, userId: string): Promise<AccountFootprint> {
  const [joined, hosted, logins] = await db.batch([
    db
      .select({ code: chatRooms.code, participationId: participations.id })
      .from(participations)
      .innerJoin(chatRooms, eq(chatRooms.id, participations.chatRoomId))
      .where(eq(participations.userId, userId)),
    db.select({ code: chatRooms.code }).from(chatRooms).where(eq(chatRooms.hostId, userId)),
    db
      .select({ id: authSessions.id })
      .from(authSessions)
      .where(and(eq(authSessions.userId, userId), isNull(authSessions.revokedAt), gt(authSessions.expiresAt, sql`now()`))),
  ]);
  const rooms = new Map<string, AccountFootprint["rooms"][number]>();
  for (const { code } of hosted) rooms.set(code, { code, participationIds: [], hosted: true });
  for (const { code, participationId } of joined) {
    const room = rooms.get(code) ?? { code, participationIds: [], hosted: false };
    room.participationIds.push(participationId);
    rooms.set(code, room);
  }
  return { rooms: [...rooms.values()], authSessionIds: logins.map((l) => l.id) };
}

/**
 * The account emptied, in one transaction: its messages anonymised (again: the rooms did
 * theirs; this covers any a room could not reach through its log), its participations
 * stripped, its logins ended and its row emptied.
 */
export async function eraseAccount(db: HttpDb, userId: string): Promise<void> {
  const mine = db.select({ id: participations.id }).from(participations).where(eq(participations.userId, userId));
  await db.batch([
    db.update(messages).set(anonymousAuthor).where(inArray(messages.participationId, mine)),
    // A message whose participation is gone (set null) still names the account: it keeps its text, loses the person.
    db.update(messages).set({ username: "deleted_user", usernameIsReserved: false, userId: null }).where(eq(messages.userId, userId)),
    db
      .update(participations)
      .set({ username: anonymisedNameSql(participations.id), usernameIsReserved: false, fingerprint: null, ipAddress: null })
      .where(eq(participations.userId, userId)),
    db.update(authSessions).set({ revokedAt: sql`now()` }).where(and(eq(authSessions.userId, userId), isNull(authSessions.revokedAt))),
    db
      .update(users)
      .set({
        email: sql`'deleted-' || ${users.id}::text || '@deleted.invalid'`,
        // No password hash verifies against this: the account can never log in again.
        passwordHash: "!",
        reservedUsername: null,
        deletedAt: sql`now()`,
      })
      .where(eq(users.id, userId)),
  ]);
}

/**
 * One room's messages of these participations, anonymised in Postgres (the room runs it after
 * flushing its log, so Postgres has every one): answers each message's new name, by id.
 */
export async function anonymiseRoomMessages(db: Db, roomId: string, participationIds: string[]): Promise<Map<string, string>> {
  if (participationIds.length === 0) return new Map();
  const renamed = await db
    .update(messages)
    .set(anonymousAuthor)
    .where(and(eq(messages.chatRoomId, roomId), inArray(messages.participationId, participationIds)))
    .returning({ id: messages.id, username: messages.username });
  return new Map(renamed.map((m) => [m.id, m.username]));
}

