// Bans: which participations a host's ban covers, decided in one SQL predicate
// so the join check, the kick and the room's ban index always agree.
import { and, desc, eq, gt, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Db, HttpDb } from "../../platform/db";
import { chatBans, participations, type ChatBanRow } from "../../platform/schema";
import { banned } from "../../platform/errors";

/** The 403 BANNED a covered participant gets, with the ban's reason and end. */
export const bannedBy = (ban: ChatBanRow) => banned({ reason: ban.reason || null, expires_at: ban.expiresAt?.toISOString() ?? null });

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
 * A ban covers a subject when any target it names matches, or when the subject
 * comes with a fingerprint, address or account captured from the participations
 * the host banned by name or account. A username ban does not reach a verified
 * participant chatting under its own reserved username (their `user_id` does):
 * banning the anonymous "robert" must not remove the registered Robert.
 */
function covers(s: BanSubject): SQL {
  return or(
    named(s),
    sql`${chatBans.fingerprint} = ${s.fingerprint}`,
    sql`${chatBans.ipAddress} = ${s.ipAddress}`,
    sql`${s.fingerprint} = any(${chatBans.capturedFingerprints})`,
    sql`${s.ipAddress} = any(${chatBans.capturedIpAddresses})`,
    sql`${s.userId} = any(${chatBans.capturedUserIds})`,
  )!;
}

/** The targets that name a participant: its username (unless verified as its own) or its account. */
function named(s: BanSubject): SQL {
  return or(
    and(
      sql`${chatBans.username} is not null`,
      sql`lower(${chatBans.username}) = lower(${s.username})`,
      sql`not ${s.usernameIsReserved}`,
    ),
    sql`${chatBans.userId} = ${s.userId}`,
  )!;
}

/** The room's host is never covered by what a ban captured (they may share an address with whom they ban). */
const notHost = sql`${participations.userId} is distinct from (select host_id from chat_rooms where id = ${chatBans.chatRoomId})`;

const participationSubject: BanSubject = {
  username: sql`${participations.username}`,
  usernameIsReserved: sql`${participations.usernameIsReserved}`,
  fingerprint: sql`${participations.fingerprint}`,
  ipAddress: sql`${participations.ipAddress}`,
  userId: sql`${participations.userId}`,
};

/** Inside a query: whether an active ban of the room covers any of `subjects` (a join's insert is conditioned on its negation). */
export const activeBanCondition = (roomId: SQL, subjects: BanSubject[]) =>
  sql`exists (select 1 from ${chatBans} where ${and(sql`${chatBans.chatRoomId} = ${roomId}`, active(), or(...subjects.map(covers)))})`;

/** The same as a query not yet sent; the room may be a subquery (roomIdOf), for a batch. */
export const activeBanQuery = (db: Db, roomId: SQL, subjects: BanSubject[]) =>
  db
    .select()
    .from(chatBans)
    .where(and(sql`${chatBans.chatRoomId} = ${roomId}`, active(), or(...subjects.map(covers))))
    .orderBy(sql`${chatBans.expiresAt} desc nulls first`)
    .limit(1);

/** The participations of its room that a stored ban covers (`explicit`: by a target the host named). */
const coveredQuery = (db: Db, banId: string) =>
  db
    .select({
      id: participations.id,
      username: participations.username,
      userId: participations.userId,
      explicit: sql<boolean>`(${explicitTargets(participationSubject)}) is true`,
    })
    .from(chatBans)
    .innerJoin(participations, and(eq(participations.chatRoomId, chatBans.chatRoomId), covers(participationSubject)))
    .where(eq(chatBans.id, banId));

const explicitTargets = (s: BanSubject) =>
  or(named(s), sql`${chatBans.fingerprint} = ${s.fingerprint}`, sql`${chatBans.ipAddress} = ${s.ipAddress}`)!;

/** Fills a new ban's captured fingerprints, addresses and accounts from the participations it names (never the host's). */
const captureQuery = (db: Db, banId: string) => {
  const namedHere = (column: SQL) => sql`coalesce((
    select array_agg(distinct ${column}) from ${participations}
    where ${participations.chatRoomId} = ${chatBans.chatRoomId} and ${column} is not null
      and (${named(participationSubject)}) is true and ${notHost}), '{}')`;
  return db
    .update(chatBans)
    .set({
      capturedFingerprints: namedHere(sql`${participations.fingerprint}`),
      capturedIpAddresses: namedHere(sql`${participations.ipAddress}`),
      capturedUserIds: namedHere(sql`${participations.userId}`),
    })
    .where(eq(chatBans.id, banId));
};

/** Every active ban of the room with the participations it covers: the Durable Object's ban index. */
export async function roomBanIndex(db: Db, roomId: string): Promise<{ banId: string; expiresAt: Date | null; reason: string; username: string | null; participationId: string }[]> {
  return db
    .select({ banId: chatBans.id, expiresAt: chatBans.expiresAt, reason: chatBans.reason, username: chatBans.username, participationId: participations.id })
    .from(chatBans)
    .innerJoin(participations, and(eq(participations.chatRoomId, chatBans.chatRoomId), covers(participationSubject), notHost))
    .where(and(eq(chatBans.chatRoomId, roomId), active()));
}

/** The reason and name of each of the room's active bans (the room fills what it kept before it kept them). */
export const activeBanDetails = (db: Db, roomId: string) =>
  db.select({ banId: chatBans.id, reason: chatBans.reason, username: chatBans.username }).from(chatBans).where(and(eq(chatBans.chatRoomId, roomId), active()));

export async function listBans(db: Db, roomId: string): Promise<ChatBanRow[]> {
  return db.select().from(chatBans).where(eq(chatBans.chatRoomId, roomId)).orderBy(desc(chatBans.createdAt)).limit(500);
}

/**
 * Stores a ban unless a target the host named covers the given user (the host):
 * then nothing is stored and the answer is null. Returns the ban and the
 * participations it covers (never the host's). The insert, the capture of what
 * the named participations come with, and the lookup of what it covers go as
 * one batch (one round trip); a ban that names the host is deleted again,
 * before any room is told of it.
 */
export async function insertBanUnlessItCovers(db: HttpDb, values: typeof chatBans.$inferInsert, sparedUserId: string) {
  const id = values.id ?? crypto.randomUUID();
  const [, , covered, [ban]] = await db.batch([
    db.insert(chatBans).values({ ...values, id }),
    captureQuery(db, id),
    coveredQuery(db, id),
    db.select().from(chatBans).where(eq(chatBans.id, id)),
  ]);
  if (covered.some((p) => p.explicit && p.userId === sparedUserId)) {
    await db.delete(chatBans).where(eq(chatBans.id, id));
    return null;
  }
  return { ban: ban!, covered: covered.filter((p) => p.userId !== sparedUserId) };
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
