// Accounts and their login sessions. Queries answer data or null; the routes
// decide what a miss means.
import { and, eq, gt, isNull } from "drizzle-orm";
import { isUniqueViolation, pgErrorConstraint, type Db } from "../../platform/db";
import { authSessions, users, type UserRow } from "../../platform/schema";

/** The new account, or which unique field was taken already. */
export async function insertUser(
  db: Db,
  values: { email: string; passwordHash: string; reservedUsername: string | null },
): Promise<UserRow | "email_taken" | "username_taken"> {
  try {
    const [user] = await db.insert(users).values(values).returning();
    return user!;
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    return pgErrorConstraint(e) === "users_email_key" ? "email_taken" : "username_taken";
  }
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | null> {
  const [user] = await db.select().from(users).where(eq(users.email, email));
  return user ?? null;
}

/** A login session (what a bearer token names), valid until expiresAt unless revoked. */
export async function openAuthSession(db: Db, userId: string, expiresAt: Date): Promise<string> {
  const [session] = await db.insert(authSessions).values({ userId, expiresAt }).returning({ id: authSessions.id });
  return session!.id;
}

/** Ends a login session (as a query not yet sent, for a batch). */
export const revokeAuthSessionQuery = (db: Db, id: string) => db.update(authSessions).set({ revokedAt: new Date() }).where(eq(authSessions.id, id));

/** The account of a login session that is neither revoked nor expired, or null. */
export async function activeSessionUser(db: Db, authSessionId: string, userId: string): Promise<UserRow | null> {
  const [row] = await activeSessionUserQuery(db, authSessionId, userId);
  return row?.user ?? null;
}

/** The same as a query not yet sent, for a batch. */
export const activeSessionUserQuery = (db: Db, authSessionId: string, userId: string) =>
  db
    .select({ user: users })
    .from(authSessions)
    .innerJoin(users, eq(users.id, authSessions.userId))
    .where(
      and(
        eq(authSessions.id, authSessionId),
        eq(authSessions.userId, userId),
        isNull(authSessions.revokedAt),
        gt(authSessions.expiresAt, new Date()),
      ),
    );
