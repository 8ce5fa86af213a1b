// Participations: a person's identity in one room. Anonymous ones are keyed by
// (room, fingerprint) with no user; logged-in ones by (room, user). Both can
// exist for the same person in the same room.
import { and, eq, inArray, isNull, ne, sql, type SQL } from "drizzle-orm";
import type { Db, HttpDb } from "../../platform/db";
import { chatRooms, participations, skeletonSql, users } from "../../platform/schema";
import { usernameKey, usernameSkeleton } from "../../domain/usernames";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { roomIdOf } from "./queries";
import { slash48Of } from "../../domain/client-ip";
import type { BanSubject } from "../moderation/queries";

/** How many anonymous usernames one address (an IPv6 /64) may hold in one room. */
export const ANON_USERNAMES_PER_IP = 3;
/** …and one IPv6 /48, whatever its /64s. */
export const ANON_USERNAMES_PER_BLOCK = 12;

export type Identity = { userId: string } | { fingerprint: string };

export const identityIs = (who: Identity) =>
  "userId" in who
    ? eq(participations.userId, who.userId)
    : and(isNull(participations.userId), eq(participations.fingerprint, who.fingerprint));

/**
 * How many anonymous usernames the room holds from this address and from its IPv6 /48, as SQL
 * (the room may be a subquery): what the per-address rule counts.
 */
function anonNamesFrom(roomId: SQL, ipKey: string) {
  // An IPv6 key's /48 is counted by prefix (its /64 keys share the first three groups); IPv4 has none.
  const block = slash48Of(ipKey);
  const blockPrefix = block ? `${block.keysStartWith}%` : null;
  const anon = sql`chat_room_id = ${roomId} and user_id is null`;
  return {
    address: sql<number>`(select count(*) from ${participations} where ${anon} and ip_address = ${ipKey})::int`,
    block: sql<number>`(select count(*) from ${participations} where ${anon} and ${blockPrefix}::text is not null and ip_address like ${blockPrefix})::int`,
  };
}

/** The caller's participation in the room with this code, as a query not yet sent (for a batch). */
export const participationByCodeQuery = (db: Db, code: string, who: Identity) =>
  db
    .select()
    .from(participations)
    .where(and(sql`${participations.chatRoomId} = ${roomIdOf(code)}`, identityIs(who)));

/** Every participation of the room (by id), as a query for a batch: what the room's own copy is seeded from. */
export const roomParticipationsQuery = (db: Db, roomId: string) => db.select().from(participations).where(eq(participations.chatRoomId, roomId));

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

/** Whether another account reserved this name or a look-alike of it: a logged-in participant may not chat under it. */
export async function reservedByOtherUser(db: Db, username: string, userId: string): Promise<boolean> {
  return (await reservedByOtherUserQuery(db, username, userId)).length > 0;
}

/** The same as a query not yet sent (a row when reserved by another account), for a batch. */
export const reservedByOtherUserQuery = (db: Db, username: string, userId: string) =>
  db
    .select({ id: users.id })
    .from(users)
    .where(and(sql`${skeletonSql(users.reservedUsername)} = ${usernameSkeleton(username)}`, ne(users.id, userId)))
    .limit(1);

/**
 * Which of these names nobody may take from the caller: reserved by an account (look-alikes
 * included), or, with a room, chatted under by someone there. One round trip.
 */
export async function takenNames(db: HttpDb, names: string[], roomCode: string | null): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const skeletons = names.map(usernameSkeleton);
  const keys = names.map(usernameKey);
  const reserved = db
    .select({ skeleton: sql<string>`${skeletonSql(users.reservedUsername)}` })
    .from(users)
    .where(inArray(skeletonSql(users.reservedUsername), skeletons));
  const used = db
    .select({ key: sql<string>`lower(${participations.username})` })
    .from(participations)
    .where(and(roomCode === null ? sql`false` : sql`${participations.chatRoomId} = ${roomIdOf(roomCode)}`, inArray(sql`lower(${participations.username})`, keys)));
  const [r, u] = await db.batch([reserved, used]);
  const takenSkeletons = new Set(r.map((x) => x.skeleton));
  const takenKeys = new Set(u.map((x) => x.key));
  return new Set(names.filter((n) => takenSkeletons.has(usernameSkeleton(n)) || takenKeys.has(usernameKey(n))));
}

/**
 * The three limits an anonymous join counts against in the room: its address (ANON_USERNAMES_PER_IP
 * names per /64), its IPv6 /48 (ANON_USERNAMES_PER_BLOCK), and the room's new anonymous names per
 * minute. `allowed` is the condition of the join's insert; `counts` says which one refused it.
 * The join takes the room's advisory lock first, so parallel joins cannot slip past them.
 */
export function anonLimitCounts(roomId: string, ipKey: string, perMinute: number) {
  const count = {
    ...anonNamesFrom(sql`${roomId}`, ipKey),
    recent: sql<number>`(select count(*) from ${participations} where chat_room_id = ${roomId} and user_id is null and created_at > now() - interval '1 minute')::int`,
  };
  return {
    allowed: sql`(${count.address} < ${ANON_USERNAMES_PER_IP} and ${count.block} < ${ANON_USERNAMES_PER_BLOCK} and ${count.recent} < ${perMinute})`,
    counts: sql`select ${count.address} as address, ${count.block} as block, ${count.recent} as recent`,
  };
}

export type AnonLimit = "address" | "block" | "room_rate";

export async function usernameOf(db: Db, participationId: string): Promise<string | null> {
  const [row] = await db.select({ username: participations.username }).from(participations).where(eq(participations.id, participationId));
  return row?.username ?? null;
}

/** The codes of the rooms an account joined (or rejoined) since `since`: where its live room sessions can be. */
export const roomsJoinedSinceQuery = (db: Db, userId: string, since: Date) =>
  db
    .select({ code: chatRooms.code })
    .from(participations)
    .innerJoin(chatRooms, eq(chatRooms.id, participations.chatRoomId))
    .where(and(eq(participations.userId, userId), sql`${participations.lastSeenAt} >= ${since}`));
