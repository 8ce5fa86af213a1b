// Participations: a person's identity in one room. Anonymous ones are keyed by
// (room, fingerprint) with no user; logged-in ones by (room, user). Both can
// exist for the same person in the same room.
import { and, eq, isNull, ne, sql, type SQL } from "drizzle-orm";
import type { Db, HttpDb } from "../../platform/db";
import { participations, users, type ParticipationRow } from "../../platform/schema";
import { usernameKey } from "../../domain/usernames";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { roomIdOf } from "./queries";
import type { BanSubject } from "../moderation/queries";

/** How many anonymous usernames one IP may hold in one room. */
export const ANON_USERNAMES_PER_IP = 3;

export type Identity = { userId: string } | { fingerprint: string };

const identityIs = (who: Identity) =>
  "userId" in who
    ? eq(participations.userId, who.userId)
    : and(isNull(participations.userId), eq(participations.fingerprint, who.fingerprint));

/** The caller's participation in the room with this code, as a query not yet sent (for a batch). */
export const participationByCodeQuery = (db: Db, code: string, who: Identity) =>
  db
    .select()
    .from(participations)
    .where(and(sql`${participations.chatRoomId} = ${roomIdOf(code)}`, identityIs(who)));

/** Inside a query: whether this account reserved this username (its verified badge), so a ban check needs no earlier lookup. */
export const reservedBy = (userId: string | null, username: string) =>
  userId === null
    ? sql`false`
    : sql`exists (select 1 from ${users} where ${users.id} = ${userId} and lower(${users.reservedUsername}) = ${usernameKey(username)})`;

/**
 * The caller's stored participation as a ban subject, each field a subquery, so
 * the ban check runs in the same round trip as the lookup. `now` overrides
 * fields with how the caller comes now (its address, its fingerprint).
 */
export function storedSubject(code: string, who: Identity, now: Partial<BanSubject> = {}): BanSubject {
  return { ...subjectWhere(and(sql`${participations.chatRoomId} = ${roomIdOf(code)}`, identityIs(who))!), ...now };
}

/** A room session's participation as a ban subject (by its id), for a batch. */
export const subjectOfParticipation = (participationId: string): BanSubject => subjectWhere(eq(participations.id, participationId));

function subjectWhere(where: SQL): BanSubject {
  const field = (column: AnyPgColumn) => sql`(select ${column} from ${participations} where ${where})`;
  return {
    username: field(participations.username),
    usernameIsReserved: sql`coalesce(${field(participations.usernameIsReserved)}, false)`,
    fingerprint: field(participations.fingerprint),
    ipAddress: field(participations.ipAddress),
    userId: field(participations.userId),
  };
}

/** The caller's participation: by account when logged in (never falling back to an anonymous one), else by fingerprint. */
export async function findParticipation(db: Db, roomId: string, who: Identity): Promise<ParticipationRow | null> {
  const [row] = await db
    .select()
    .from(participations)
    .where(and(eq(participations.chatRoomId, roomId), identityIs(who)));
  return row ?? null;
}

/** Whether the name is held by another participation of the same kind (anonymous or logged in) in the room. */
export async function usernameHeld(db: Db, roomId: string, username: string, who: Identity): Promise<boolean> {
  const loggedIn = "userId" in who;
  const [row] = await db
    .select({ id: participations.id })
    .from(participations)
    .where(
      and(
        eq(participations.chatRoomId, roomId),
        eq(sql`lower(${participations.username})`, usernameKey(username)),
        loggedIn ? sql`${participations.userId} is not null` : isNull(participations.userId),
        loggedIn ? ne(participations.userId, who.userId) : ne(participations.fingerprint, who.fingerprint),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/** Whether another account reserved this name: a logged-in participant may not chat under it. */
export async function reservedByOtherUser(db: Db, username: string, userId: string): Promise<boolean> {
  return (await reservedByOtherUserQuery(db, username, userId)).length > 0;
}

/** The same as a query not yet sent (a row when reserved by another account), for a batch. */
export const reservedByOtherUserQuery = (db: Db, username: string, userId: string) =>
  db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(sql`lower(${users.reservedUsername})`, usernameKey(username)), ne(users.id, userId)))
    .limit(1);

export interface NewParticipation {
  roomId: string;
  who: Identity;
  username: string;
  usernameIsReserved: boolean;
  ipKey: string;
}

/**
 * Creates the participation. An anonymous one counts against its IP's limit
 * in the room: the lock on (room, IP), the count and the insert run as one
 * batch (one round trip, one transaction), so parallel joins cannot slip past
 * it; null when the address already holds ANON_USERNAMES_PER_IP. Throws the
 * unique violation when the name is taken or the same person joined at the
 * same moment.
 */
export async function createParticipation(db: HttpDb, p: NewParticipation): Promise<ParticipationRow | null> {
  const values = {
    chatRoomId: p.roomId,
    userId: "userId" in p.who ? p.who.userId : null,
    fingerprint: "fingerprint" in p.who ? p.who.fingerprint : null,
    username: p.username,
    usernameIsReserved: p.usernameIsReserved,
    ipAddress: p.ipKey,
  };
  if ("userId" in p.who) {
    const [row] = await db.insert(participations).values(values).returning();
    return row!;
  }
  // Each statement of the batch reads after the lock is held (read committed: a new snapshot each).
  const [, , [row]] = await db.batch([
    db.execute(sql`select pg_advisory_xact_lock(hashtext(${`anon-ip:${p.roomId}:${p.ipKey}`}))`),
    db.execute(sql`
      insert into ${participations} (chat_room_id, fingerprint, username, username_is_reserved, ip_address)
      select ${p.roomId}, ${values.fingerprint}, ${p.username}, ${p.usernameIsReserved}, ${p.ipKey}
      where (select count(*) from ${participations}
             where chat_room_id = ${p.roomId} and user_id is null and ip_address = ${p.ipKey}) < ${ANON_USERNAMES_PER_IP}`),
    db.select().from(participations).where(and(eq(participations.chatRoomId, p.roomId), identityIs(p.who))),
  ]);
  return row ?? null;
}

export async function touchParticipation(db: Db, id: string): Promise<void> {
  await db.update(participations).set({ lastSeenAt: new Date() }).where(eq(participations.id, id));
}

export async function usernameOf(db: Db, participationId: string): Promise<string | null> {
  const [row] = await db.select({ username: participations.username }).from(participations).where(eq(participations.id, participationId));
  return row?.username ?? null;
}
