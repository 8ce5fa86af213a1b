// The payments ledger. A status only moves forward through these functions,
// each a conditional UPDATE, so a webhook delivered twice (or a retry racing
// a webhook) has one effect.
import { and, count, eq, exists, gt, inArray, or, sql, sum } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db } from "../../platform/db";
import { chatRooms, participations, transactions, type TransactionRow } from "../../platform/schema";

export type PurchaseType = TransactionRow["type"];

export async function findByIdempotencyKey(db: Db, participationId: string, key: string): Promise<TransactionRow | null> {
  const [row] = await db
    .select()
    .from(transactions)
    .where(and(eq(transactions.participationId, participationId), eq(transactions.idempotencyKey, key)));
  return row ?? null;
}

export async function findByProviderPayment(db: Db, provider: string, providerPaymentId: string): Promise<TransactionRow | null> {
  const [row] = await db
    .select()
    .from(transactions)
    .where(and(eq(transactions.provider, provider), eq(transactions.providerPaymentId, providerPaymentId)));
  return row ?? null;
}

export async function findTransaction(db: Db, id: string): Promise<TransactionRow | null> {
  const [row] = await db.select().from(transactions).where(eq(transactions.id, id));
  return row ?? null;
}

export async function insertPending(db: Db, values: typeof transactions.$inferInsert): Promise<TransactionRow> {
  const [row] = await db.insert(transactions).values(values).returning();
  return row!;
}

export async function recordAttempt(db: Db, id: string, providerPaymentId: string, clientSecret: string | null): Promise<void> {
  await db.update(transactions).set({ providerPaymentId, clientSecret }).where(eq(transactions.id, id));
}

/** Moves a transaction from one status to the next; null when it was not in `from` (someone got there first). */
async function transition(db: Db, id: string, from: TransactionRow["status"], set: Partial<typeof transactions.$inferInsert>): Promise<TransactionRow | null> {
  const [row] = await db
    .update(transactions)
    .set(set)
    .where(and(eq(transactions.id, id), eq(transactions.status, from)))
    .returning();
  return row ?? null;
}

/**
 * pending → completed; null when it was not pending (already completed, canceled or refunded).
 * A failed attempt leaves a payment pending (the buyer may retry it); only a cancel fails it.
 */
export const markCompleted = (db: Db, id: string) => transition(db, id, "pending", { status: "completed", completedAt: new Date() });

/** A completed payment whose effect could not be given, and why. */
export async function recordNotApplied(db: Db, id: string, reason: string): Promise<void> {
  await db.update(transactions).set({ notAppliedReason: reason }).where(eq(transactions.id, id));
}

export const markFailed = (db: Db, id: string) => transition(db, id, "pending", { status: "failed" });

export const markRefunded = (db: Db, id: string) => transition(db, id, "completed", { status: "refunded" });

/**
 * One page of the host's rooms (by code, after `after`) with their completed income by kind,
 * and the total over all their rooms. A payment that completed without its effect (see
 * not_applied_reason) is income the host may owe back: it is counted apart.
 */
export async function earningsOfHost(db: Db, hostId: string, page: { limit: number; after: string | null }) {
  const rooms = await db
    .select({ id: chatRooms.id, code: chatRooms.code, name: chatRooms.name })
    .from(chatRooms)
    .where(and(eq(chatRooms.hostId, hostId), page.after === null ? undefined : gt(chatRooms.code, page.after)))
    .orderBy(chatRooms.code)
    .limit(page.limit + 1);
  const shown = rooms.slice(0, page.limit);
  const applied = sql<boolean>`${transactions.notAppliedReason} is null`;
  const [sums, [all]] = await Promise.all([
    shown.length === 0
      ? Promise.resolve([])
      : db
          .select({ roomId: transactions.chatRoomId, type: transactions.type, status: transactions.status, applied, cents: sum(transactions.amountCents), n: count() })
          .from(transactions)
          .where(and(inArray(transactions.chatRoomId, shown.map((r) => r.id)), inArray(transactions.status, ["completed", "refunded"])))
          .groupBy(transactions.chatRoomId, transactions.type, transactions.status, applied),
    db
      .select({ cents: sum(transactions.amountCents) })
      .from(transactions)
      .innerJoin(chatRooms, eq(chatRooms.id, transactions.chatRoomId))
      .where(and(eq(chatRooms.hostId, hostId), eq(transactions.status, "completed"), applied)),
  ]);
  const completed = sums.filter((s) => s.status === "completed");
  const of = (roomId: string, type: PurchaseType | null, wasApplied: boolean) =>
    completed
      .filter((s) => s.roomId === roomId && (type === null || s.type === type) && Boolean(s.applied) === wasApplied)
      .reduce((n, s) => n + Number(s.cents ?? 0), 0);
  const refunded = (roomId: string) =>
    sums.filter((s) => s.roomId === roomId && s.status === "refunded").reduce((n, s) => n + Number(s.cents ?? 0), 0);
  return {
    rooms: shown.map((r) => ({
      code: r.code,
      name: r.name,
      tips_cents: of(r.id, "tip", true),
      pins_cents: of(r.id, "pin", true),
      back_room_cents: of(r.id, "back_room", true),
      total_cents: of(r.id, null, true),
      not_applied_cents: of(r.id, null, false),
      refunded_cents: refunded(r.id),
      payments: completed.filter((s) => s.roomId === r.id).reduce((n, s) => n + Number(s.n), 0),
    })),
    nextAfter: rooms.length > page.limit ? shown.at(-1)!.code : null,
    totalCents: Number(all?.cents ?? 0),
  };
}

export function publicTransaction(t: TransactionRow) {
  return {
    id: t.id,
    type: t.type,
    amount_cents: t.amountCents,
    currency: t.currency,
    status: t.status,
    message_id: t.messageId,
    provider: t.provider,
    provider_payment_id: t.providerPaymentId,
    created_at: t.createdAt.toISOString(),
    completed_at: t.completedAt?.toISOString() ?? null,
    not_applied_reason: t.notAppliedReason,
  };
}

/**
 * Whether a tip would go from the host to their own room by another door: the tipper's
 * participation is the host's account, or shares a device fingerprint or an address with a
 * participation of the host's account in this room.
 */
export async function tipsOwnRoom(db: Db, roomId: string, tipperParticipationId: string): Promise<boolean> {
  const tipper = alias(participations, "tipper");
  const host = alias(participations, "host");
  const hostDoor = db
    .select({ one: sql`1` })
    .from(host)
    .where(
      and(
        eq(host.chatRoomId, chatRooms.id),
        eq(host.userId, chatRooms.hostId),
        or(eq(host.fingerprint, tipper.fingerprint), eq(host.ipAddress, tipper.ipAddress)),
      ),
    );
  const [row] = await db
    .select({ id: tipper.id })
    .from(tipper)
    .innerJoin(chatRooms, eq(chatRooms.id, tipper.chatRoomId))
    .where(and(eq(tipper.id, tipperParticipationId), eq(chatRooms.id, roomId), or(eq(tipper.userId, chatRooms.hostId), exists(hostDoor))))
    .limit(1);
  return row !== undefined;
}
