// Paid pins in Postgres. Active means is_pinned and pinned_until still ahead;
// expiry is applied by the room's alarm (expirePins), and every read filters
// by time as well, so an alarm running late never shows a pin too long.
import { and, eq, gt, lte, max, min, ne, sql } from "drizzle-orm";
import type { Db } from "../../platform/db";
import { messages, transactions } from "../../platform/schema";

/** Pins that hold the top spot now: running, and on a message nobody deleted. */
const activeIn = (roomId: string) =>
  and(
    eq(messages.chatRoomId, roomId),
    eq(messages.channel, "main"),
    eq(messages.isPinned, true),
    eq(messages.isDeleted, false),
    gt(messages.pinnedUntil, sql`now()`),
  );

/** The amount of the top active pin in the room, other than `exceptId`; null when there is none. */
export async function topPinAmount(db: Db, roomId: string, exceptId: string): Promise<number | null> {
  const [row] = await db
    .select({ top: max(messages.pinAmountCents) })
    .from(messages)
    .where(and(activeIn(roomId), ne(messages.id, exceptId)));
  return row?.top ?? null;
}

export async function isPinActive(db: Db, messageId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.id, messageId), eq(messages.isPinned, true), gt(messages.pinnedUntil, sql`now()`)));
  return row !== undefined;
}

/**
 * Pins the message for `seconds` more: an active pin adds the amount and
 * extends from its current end; otherwise the pin starts now with this amount.
 */
export async function applyPin(db: Db, messageId: string, amountCents: number, seconds: number): Promise<{ pinnedUntil: Date; pinAmountCents: number }> {
  const active = sql`(${messages.isPinned} and ${messages.pinnedUntil} > now())`;
  const [row] = await db
    .update(messages)
    .set({
      pinAmountCents: sql`case when ${active} then ${messages.pinAmountCents} + ${amountCents} else ${amountCents} end`,
      pinnedUntil: sql`case when ${active} then ${messages.pinnedUntil} + make_interval(secs => ${seconds}) else now() + make_interval(secs => ${seconds}) end`,
      pinnedAt: sql`case when ${active} then ${messages.pinnedAt} else now() end`,
      isPinned: true,
    })
    .where(eq(messages.id, messageId))
    .returning({ pinnedUntil: messages.pinnedUntil, pinAmountCents: messages.pinAmountCents });
  return { pinnedUntil: row!.pinnedUntil!, pinAmountCents: row!.pinAmountCents };
}

/**
 * Takes a refunded payment's share out of the message's pin: its cents and the time it bought.
 * Only the pin that payment was part of (running, and started no later than the payment completed)
 * is touched: refunding a payment into an old pin that ended leaves a newer one as it is. Answers
 * the pin as it is now (ended when nothing or no time is left), or null when nothing was taken.
 */
export async function takeBackFromPin(
  db: Db,
  messageId: string,
  transactionId: string,
  share: { cents: number; seconds: number },
): Promise<{ pinned: boolean; pinnedUntil: Date } | null> {
  const amount = sql`greatest(0, ${messages.pinAmountCents} - ${share.cents})`;
  const until = sql`${messages.pinnedUntil} - make_interval(secs => ${share.seconds})`;
  const [row] = await db
    .update(messages)
    .set({
      pinAmountCents: sql`${amount}`,
      pinnedUntil: sql`${until}`,
      isPinned: sql`(${amount} > 0 and ${until} > now())`,
    })
    // Compared in Postgres, at its microseconds: the payment that started the pin completed at the pin's very instant.
    .where(
      and(
        eq(messages.id, messageId),
        eq(messages.isPinned, true),
        gt(messages.pinnedUntil, sql`now()`),
        lte(messages.pinnedAt, sql`(select ${transactions.completedAt} from ${transactions} where ${transactions.id} = ${transactionId})`),
      ),
    )
    .returning({ pinned: messages.isPinned, pinnedUntil: messages.pinnedUntil });
  return row ? { pinned: row.pinned, pinnedUntil: row.pinnedUntil! } : null;
}

/** Clears the flag of every pin of the room that has ended; returns their ids. */
export async function expirePins(db: Db, roomId: string, now: Date): Promise<string[]> {
  const rows = await db
    .update(messages)
    .set({ isPinned: false })
    .where(and(eq(messages.chatRoomId, roomId), eq(messages.isPinned, true), lte(messages.pinnedUntil, now)))
    .returning({ id: messages.id });
  return rows.map((r) => r.id);
}

/** When the next active pin of the room ends, or null. */
export async function nextPinEnd(db: Db, roomId: string): Promise<Date | null> {
  const [row] = await db.select({ end: min(messages.pinnedUntil) }).from(messages).where(activeIn(roomId));
  return row?.end ? new Date(row.end) : null;
}
