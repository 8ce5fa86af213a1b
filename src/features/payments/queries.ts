// The payments ledger. A status only moves forward through these functions,
// each a conditional UPDATE, so a webhook delivered twice (or a retry racing
// a webhook) has one effect.
import { and, eq, exists, gt, inArray, or, sql, sum } from "drizzle-orm";
import { alias, type PgUpdateSetSource } from "drizzle-orm/pg-core";
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
async function transition(db: Db, id: string, from: TransactionRow["status"], set: PgUpdateSetSource<typeof transactions>): Promise<TransactionRow | null> {
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
// Postgres's clock, as the pin it applies uses (pinned_at): a refund compares the two.
export const markCompleted = (db: Db, id: string) => transition(db, id, "pending", { status: "completed", completedAt: sql`now()` });

/** A completed payment whose effect could not be given, and why. */
export async function recordNotApplied(db: Db, id: string, reason: string): Promise<void> {
  await db.update(transactions).set({ notAppliedReason: reason }).where(eq(transactions.id, id));
}

export const markFailed = (db: Db, id: string) => transition(db, id, "pending", { status: "failed" });

/** The transaction, locked until the end of the caller's transaction (a refund reads, then writes it). */
export async function lockTransaction(db: Db, id: string): Promise<TransactionRow | null> {
  const [row] = await db.select().from(transactions).where(eq(transactions.id, id)).for("update");
  return row ?? null;
}

/** Records how much of a payment has been taken back in all; all of it makes it "refunded". */
export async function recordTakenBack(db: Db, row: TransactionRow, totalCents: number, lostDispute?: { cents: number }): Promise<TransactionRow> {
  const [updated] = await db
    .update(transactions)
    .set({
      refundedCents: totalCents,
      ...(totalCents >= row.amountCents ? { status: "refunded" as const } : {}),
      ...(lostDispute ? { disputeStatus: "lost" as const, disputedCents: lostDispute.cents } : {}),
    })
    .where(eq(transactions.id, row.id))
    .returning();
  return updated!;
}

/** A dispute opened or decided in the buyer's favour or not; answers whether it changed anything. */
export async function recordDispute(db: Db, id: string, amountCents: number, status: "open" | "won"): Promise<boolean> {
  const rows = await db
    .update(transactions)
    .set({ disputedCents: amountCents, disputeStatus: status })
    .where(
      and(
        eq(transactions.id, id),
        inArray(transactions.status, ["completed", "refunded"]),
        // A decided dispute stays decided: a late "created" does not reopen it.
        status === "open" ? sql`${transactions.disputeStatus} is null` : sql`${transactions.disputeStatus} is distinct from 'won' and ${transactions.disputeStatus} is distinct from 'lost'`,
      ),
    )
    .returning({ id: transactions.id });
  return rows.length > 0;
}

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
  // What the host keeps of a payment: its amount less what refunds and lost disputes took back.
  const kept = sql<string>`sum(${transactions.amountCents} - ${transactions.refundedCents})`;
  const paid = inArray(transactions.status, ["completed", "refunded"]);
  const [sums, [all]] = await Promise.all([
    shown.length === 0
      ? Promise.resolve([])
      : db
          .select({
            roomId: transactions.chatRoomId,
            type: transactions.type,
            applied,
            cents: kept,
            refunded: sum(transactions.refundedCents),
            disputed: sql<string>`sum(case when ${transactions.disputeStatus} = 'open' then ${transactions.disputedCents} else 0 end)`,
            n: sql<string>`count(*) filter (where ${transactions.status} = 'completed')`,
          })
          .from(transactions)
          .where(and(inArray(transactions.chatRoomId, shown.map((r) => r.id)), paid))
          .groupBy(transactions.chatRoomId, transactions.type, applied),
    db
      .select({ cents: kept })
      .from(transactions)
      .innerJoin(chatRooms, eq(chatRooms.id, transactions.chatRoomId))
      .where(and(eq(chatRooms.hostId, hostId), paid, applied)),
  ]);
  const total = (roomId: string, field: "cents" | "refunded" | "disputed" | "n", keep: (s: (typeof sums)[number]) => boolean = () => true) =>
    sums.filter((s) => s.roomId === roomId && keep(s)).reduce((n, s) => n + Number(s[field] ?? 0), 0);
  const of = (roomId: string, type: PurchaseType | null, wasApplied: boolean) =>
    total(roomId, "cents", (s) => (type === null || s.type === type) && Boolean(s.applied) === wasApplied);
  return {
    rooms: shown.map((r) => ({
      code: r.code,
      name: r.name,
      tips_cents: of(r.id, "tip", true),
      pins_cents: of(r.id, "pin", true),
      back_room_cents: of(r.id, "back_room", true),
      total_cents: of(r.id, null, true),
      not_applied_cents: of(r.id, null, false),
      refunded_cents: total(r.id, "refunded"),
      disputed_cents: total(r.id, "disputed"),
      payments: total(r.id, "n"),
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
    refunded_cents: t.refundedCents,
    dispute_status: t.disputeStatus,
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
