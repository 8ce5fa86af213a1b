// Bans: which participations a host's ban covers, decided in one SQL predicate
// so the join check, the kick and the room's ban index always agree.
import { and, desc, eq, gt, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Db, HttpDb } from "../../platform/db";
import { chatBans, participations, type ChatBanRow } from "../../platform/schema";

/** Who is asking to be let in, or who a participation is. */
export interface BanSubject {
  username: SQL | string;
  usernameIsReserved: SQL | boolean;
  fingerprint: SQL | string | null;
  ipAddress: SQL | string | null;
  userId: SQL | string | null;
}

const active = () =>
  and(isNull(chatBans.revokedAt), or(isNull(chatBans.expiresAt), gt(chatBans.expiresAt, sql`now()`)));

/**
 * A ban covers a subject when any target it names matches. A username ban
 * does not reach a verified participant chatting under its own reserved
 * username (their `user_id` does): banning the anonymous "robert" must not
 * remove the registered Robert.
 */
function covers(s: BanSubject): SQL {
  return or(
    and(
      sql`${chatBans.username} is not null`,
      sql`lower(${chatBans.username}) = lower(${s.username})`,
      sql`not ${s.usernameIsReserved}`,
    ),
    sql`${chatBans.fingerprint} = ${s.fingerprint}`,
    sql`${chatBans.ipAddress} = ${s.ipAddress}`,
    sql`${chatBans.userId} = ${s.userId}`,
  )!;
}

const participationSubject: BanSubject = {
  username: sql`${participations.username}`,
  usernameIsReserved: sql`${participations.usernameIsReserved}`,
  fingerprint: sql`${participations.fingerprint}`,
  ipAddress: sql`${participations.ipAddress}`,
  userId: sql`${participations.userId}`,
};

/** The active ban that covers any of `subjects` in the room, if one does. */
export async function activeBanFor(db: Db, roomId: string, subjects: BanSubject[]): Promise<ChatBanRow | null> {
  const [row] = await activeBanQuery(db, sql`${roomId}`, subjects);
  return row ?? null;
}

/** The same as a query not yet sent; the room may be a subquery (roomIdOf), for a batch. */
export const activeBanQuery = (db: Db, roomId: SQL, subjects: BanSubject[]) =>
  db
    .select()
    .from(chatBans)
    .where(and(sql`${chatBans.chatRoomId} = ${roomId}`, active(), or(...subjects.map(covers))))
    .orderBy(sql`${chatBans.expiresAt} desc nulls first`)
    .limit(1);

/** The participations of its room that a stored ban covers. */
const coveredQuery = (db: Db, banId: string) =>
  db
    .select({ id: participations.id, username: participations.username, userId: participations.userId })
    .from(chatBans)
    .innerJoin(participations, and(eq(participations.chatRoomId, chatBans.chatRoomId), covers(participationSubject)))
    .where(eq(chatBans.id, banId));

/** Every active ban of the room with the participations it covers: the Durable Object's ban index. */
export async function roomBanIndex(db: Db, roomId: string): Promise<{ banId: string; expiresAt: Date | null; participationId: string }[]> {
  return db
    .select({ banId: chatBans.id, expiresAt: chatBans.expiresAt, participationId: participations.id })
    .from(chatBans)
    .innerJoin(participations, and(eq(participations.chatRoomId, chatBans.chatRoomId), covers(participationSubject)))
    .where(and(eq(chatBans.chatRoomId, roomId), active()));
}

export async function listBans(db: Db, roomId: string): Promise<ChatBanRow[]> {
  return db.select().from(chatBans).where(eq(chatBans.chatRoomId, roomId)).orderBy(desc(chatBans.createdAt)).limit(500);
}

/**
 * Stores a ban unless it would cover the given user (the host): then nothing is
 * stored and the answer is null. Returns the ban and the participations it
 * covers. The insert and the lookup of what it covers go as one batch (one
 * round trip); a ban that turns out to cover the host is deleted again, before
 * any room is told of it.
 */
export async function insertBanUnlessItCovers(db: HttpDb, values: typeof chatBans.$inferInsert, sparedUserId: string) {
  const id = values.id ?? crypto.randomUUID();
  const [[ban], covered] = await db.batch([
    db.insert(chatBans).values({ ...values, id }).returning(),
    coveredQuery(db, id),
  ]);
  if (covered.some((p) => p.userId === sparedUserId)) {
    await db.delete(chatBans).where(eq(chatBans.id, id));
    return null;
  }
  return { ban: ban!, covered };
}

/** Lifts an active ban of the room; null when the room has no such active ban. */
export async function revokeBan(db: Db, roomId: string, banId: string): Promise<ChatBanRow | null> {
  const [ban] = await db
    .update(chatBans)
    .set({ revokedAt: new Date() })
    .where(and(eq(chatBans.id, banId), eq(chatBans.chatRoomId, roomId), isNull(chatBans.revokedAt)))
    .returning();
  return ban ?? null;
}
