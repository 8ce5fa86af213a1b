// The payments ledger. A status only moves forward through these functions,
// each a conditional UPDATE, so a webhook delivered twice (or a retry racing
// a webhook) has one effect.
import { and, count, eq, inArray, sum } from "drizzle-orm";
import type { Db } from "../../platform/db";
import { chatRooms, transactions, type TransactionRow } from "../../platform/schema";

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

/** pending → completed; null when it was not pending (already completed, failed or refunded). */
export const markCompleted = (db: Db, id: string) => transition(db, id, "pending", { status: "completed", completedAt: new Date() });

/** A completed payment whose effect could not be given, and why. */
export async function recordNotApplied(db: Db, id: string, reason: string): Promise<void> {
  await db.update(transactions).set({ notAppliedReason: reason }).where(eq(transactions.id, id));
}

export const markFailed = (db: Db, id: string) => transition(db, id, "pending", { status: "failed" });

export const markRefunded = (db: Db, id: string) => transition(db, id, "completed", { status: "refunded" });

export async function earningsOfHost(db: Db, hostId: string) {
  const rooms = await db.select({ id: chatRooms.id, code: chatRooms.code, name: chatRooms.name }).from(chatRooms).where(eq(chatRooms.hostId, hostId));
  if (rooms.length === 0) return [];
  const sums = await db
    .select({ roomId: transactions.chatRoomId, type: transactions.type, cents: sum(transactions.amountCents), n: count() })
    .from(transactions)
    .where(and(inArray(transactions.chatRoomId, rooms.map((r) => r.id)), eq(transactions.status, "completed")))
    .groupBy(transactions.chatRoomId, transactions.type);
  return rooms.map((r) => {
    const of = (type: PurchaseType) => Number(sums.find((s) => s.roomId === r.id && s.type === type)?.cents ?? 0);
    const payments = sums.filter((s) => s.roomId === r.id).reduce((n, s) => n + Number(s.n), 0);
    return {
      code: r.code,
      name: r.name,
      tips_cents: of("tip"),
      pins_cents: of("pin"),
      back_room_cents: of("back_room"),
      total_cents: of("tip") + of("pin") + of("back_room"),
      payments,
    };
  });
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
