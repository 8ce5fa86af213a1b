// Participations: a person's identity in one room. Anonymous ones are keyed by
// (room, fingerprint) with no user; logged-in ones by (room, user). Both can
// exist for the same person in the same room.
import { and, count, eq, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "../../platform/db";
import { participations, users, type ParticipationRow } from "../../platform/schema";
import { usernameKey } from "../../domain/usernames";

/** How many anonymous usernames one IP may hold in one room. */
export const ANON_USERNAMES_PER_IP = 3;

export type Identity = { userId: string } | { fingerprint: string };

const identityIs = (who: Identity) =>
  "userId" in who
    ? eq(participations.userId, who.userId)
    : and(isNull(participations.userId), eq(participations.fingerprint, who.fingerprint));

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
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(sql`lower(${users.reservedUsername})`, usernameKey(username)), ne(users.id, userId)))
    .limit(1);
  return row !== undefined;
}

export interface NewParticipation {
  roomId: string;
  who: Identity;
  username: string;
  usernameIsReserved: boolean;
  ipKey: string;
}

/**
 * Creates the participation. An anonymous one counts against its IP's limit
 * in the room; the count and the insert run under a lock on (room, IP) so
 * parallel joins cannot slip past it: null when the address already holds
 * ANON_USERNAMES_PER_IP. Throws the unique violation when the name is taken
 * or the same person joined at the same moment.
 */
export async function createParticipation(db: Db, p: NewParticipation): Promise<ParticipationRow | null> {
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
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`anon-ip:${p.roomId}:${p.ipKey}`}))`);
    const [held] = await tx
      .select({ n: count() })
      .from(participations)
      .where(and(eq(participations.chatRoomId, p.roomId), isNull(participations.userId), eq(participations.ipAddress, p.ipKey)));
    if ((held?.n ?? 0) >= ANON_USERNAMES_PER_IP) return null;
    const [row] = await tx.insert(participations).values(values).returning();
    return row!;
  });
}

export async function touchParticipation(db: Db, id: string): Promise<void> {
  await db.update(participations).set({ lastSeenAt: new Date() }).where(eq(participations.id, id));
}

export async function usernameOf(db: Db, participationId: string): Promise<string | null> {
  const [row] = await db.select({ username: participations.username }).from(participations).where(eq(participations.id, participationId));
  return row?.username ?? null;
}
