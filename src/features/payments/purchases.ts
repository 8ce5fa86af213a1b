// Purchases in a room: paid pins, tips to the host, back-room seats. The room
// runs them one at a time (its action queue), which is what keeps the top-pin
// rule and the seat limit exact under concurrent buyers. Each purchase is a
// transaction row first (pending, keyed by the client's idempotency key), then
// a payment at the provider, then, once the payment completes (at once with
// the test provider, by webhook with Stripe), its effect, applied exactly once.
import { pinnedFrame, unpinnedFrame, type PublicMessage } from "../../protocol";
import { ApiError, messageNotFound, alreadyMember } from "../../platform/errors";
import type { Db } from "../../platform/db";
import { CURRENCY, formatUsd, minimumToOutbid, pinSeconds, refundShare } from "../../domain/pricing";
import type { SessionClaims } from "../../domain/tokens";
import { liveMessage, publicMessage } from "../messages/queries";
import { applyPin, isPinActive, takeBackFromPin, topPinAmount } from "./pin-queries";
import type { TransactionRow } from "../../platform/schema";
import { addBackroomMember, backroomMemberCount, backroomSeatsTaken, hasBackroomSeat, hasPendingSeat, removeBackroomMember } from "../backroom/queries";
import { findRoomById } from "../rooms/queries";
import { usernameOf } from "../rooms/participation-queries";
import {
  findByIdempotencyKey,
  findTransaction,
  insertPending,
  markCompleted,
  markFailed,
  lockTransaction,
  recordTakenBack,
  publicTransaction,
  recordNotApplied,
  tipsOwnRoom,
  recordAttempt,
  type PurchaseType,
} from "./queries";
import { cachePin, uncachePins } from "./pin-cache";
import type { PaymentProvider } from "./provider";
import { errorText, logEvent } from "../../platform/log";
import type { RoomStores } from "../room-stores";

export interface PurchaseOrder {
  type: PurchaseType;
  /** Pins and tips: what the buyer offers. The back room's price is the room's, whatever is sent. */
  amountCents: number | null;
  messageId: string | null;
  idempotencyKey: string;
  testOutcome?: string;
}

export interface PurchaseOutcome {
  status: "completed" | "pending";
  transaction: ReturnType<typeof publicTransaction>;
  clientSecret: string | null;
  /** A pin's message, as pinned. */
  message?: PublicMessage;
}

export interface PurchaseDeps extends RoomStores {
  /** Seconds in a pin minute (60; shorter in tests, see PIN_SECONDS_PER_MINUTE). */
  pinSecondsPerMinute: number;
  provider: () => PaymentProvider;
  broadcast(frame: string): void;
  /** Queues a system message; it is written after this purchase. */
  postSystemMessage(text: string): void;
  pinEndsAt(untilMs: number): Promise<void>;
  memberJoined(participationId: string): void;
  memberLeft(participationId: string): void;
}

export async function purchase(deps: PurchaseDeps, claims: SessionClaims, order: PurchaseOrder): Promise<PurchaseOutcome> {
  const earlier = await deps.db.run((conn) => findByIdempotencyKey(conn, claims.participationId, order.idempotencyKey));
  if (earlier) {
    const same =
      earlier.type === order.type &&
      earlier.messageId === order.messageId &&
      (order.amountCents === null || earlier.amountCents === order.amountCents);
    if (!same) {
      throw new ApiError(409, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different payment; use a new key.");
    }
    return outcomeOf(deps, earlier);
  }

  const amountCents = await deps.db.run((conn) => checkOrder(conn, deps, claims, order));
  const provider = deps.provider();
  const tx = await deps.db.run((conn) =>
    insertPending(conn, {
      chatRoomId: deps.room.id,
      participationId: claims.participationId,
      messageId: order.messageId,
      type: order.type,
      amountCents,
      currency: CURRENCY,
      provider: provider.name,
      idempotencyKey: order.idempotencyKey,
    }),
  );
  let attempt;
  try {
    attempt = await provider.createPayment({
      transactionId: tx.id,
      amountCents,
      currency: CURRENCY,
      description: `ChatPop ${order.type.replace("_", " ")} in room ${deps.room.code}`,
      metadata: { transaction_id: tx.id, chat_code: deps.room.code, type: order.type },
      testOutcome: order.testOutcome,
    });
  } catch (e) {
    await deps.db.run((conn) => markFailed(conn, tx.id));
    logEvent("payment_provider_error", { room: deps.room.code, transaction: tx.id, error: errorText(e) });
    throw new ApiError(502, "PAYMENT_PROVIDER_ERROR", "The payment provider could not be reached; nothing was charged. Try again.");
  }
  await deps.db.run((conn) => recordAttempt(conn, tx.id, attempt.providerPaymentId, attempt.clientSecret));
  logEvent("payment_created", { room: deps.room.code, transaction: tx.id, type: order.type, status: attempt.status });
  if (attempt.status === "failed") {
    await deps.db.run((conn) => markFailed(conn, tx.id));
    throw declined(tx.id);
  }
  if (attempt.status === "completed") await completePurchase(deps, tx.id);
  const current = await deps.db.run((conn) => findTransaction(conn, tx.id));
  return outcomeOf(deps, current!);
}

const declined = (transactionId: string) =>
  new ApiError(402, "PAYMENT_DECLINED", "The payment was declined; nothing was charged.", { transaction_id: transactionId });

async function outcomeOf(deps: PurchaseDeps, tx: TransactionRow): Promise<PurchaseOutcome> {
  if (tx.status === "failed") throw declined(tx.id);
  const message =
    tx.type === "pin" && tx.messageId && tx.status === "completed"
      ? ((await deps.db.run((conn) => publicMessage(conn, deps.room.code, tx.messageId!))) ?? undefined)
      : undefined;
  return {
    status: tx.status === "pending" ? "pending" : "completed",
    transaction: publicTransaction(tx),
    clientSecret: tx.status === "pending" ? tx.clientSecret : null,
    ...(message ? { message } : {}),
  };
}

/** The rules a purchase must pass before any money moves; answers the amount to charge. */
async function checkOrder(conn: Db, deps: PurchaseDeps, claims: SessionClaims, order: PurchaseOrder): Promise<number> {
  switch (order.type) {
    case "pin": {
      const message = await liveMessage(conn, deps.room.id, order.messageId!);
      if (!message || message.channel !== "main") throw messageNotFound();
      const amount = order.amountCents!;
      if (!(await isPinActive(conn, message.id))) {
        const minimum = minimumToOutbid(await topPinAmount(conn, deps.room.id, message.id));
        if (amount < minimum) {
          throw new ApiError(400, "BID_TOO_LOW", `Taking the top spot needs at least ${formatUsd(minimum)}, the next tier above the current top pin.`, {
            minimum_cents: minimum,
          });
        }
      }
      return amount;
    }
    case "tip":
      if (claims.isHost || (await tipsOwnRoom(conn, deps.room.id, claims.participationId))) {
        throw new ApiError(400, "CANNOT_TIP_SELF", "The host cannot tip their own room (not from another session, device or address either).");
      }
      return order.amountCents!;
    case "back_room": {
      const room = await findRoomById(conn, deps.room.id);
      if (!room?.backroomEnabled || !room.backroomPriceCents || !room.backroomSeatLimit) {
        throw new ApiError(409, "BACKROOM_DISABLED", "This room has no back room open right now.");
      }
      if (claims.isHost) throw alreadyMember("The host is always in the back room.");
      if (await hasBackroomSeat(conn, deps.room.id, claims.participationId)) throw alreadyMember("You are already in the back room.");
      // One seat purchase at a time: a buyer may not hold several seats while their payments are pending.
      if (await hasPendingSeat(conn, deps.room.id, claims.participationId)) {
        throw new ApiError(409, "PURCHASE_PENDING", "Your back-room seat purchase is still waiting for payment; finish it (same Idempotency-Key) or wait 30 minutes.");
      }
      if ((await backroomSeatsTaken(conn, deps.room.id)) >= room.backroomSeatLimit) {
        throw new ApiError(409, "BACKROOM_FULL", "The back room is full.");
      }
      return room.backroomPriceCents;
    }
  }
}

/**
 * Applies a completed payment's effect, once: the status moves pending →
 * completed in the same Postgres transaction as the effect, so a replayed
 * webhook (or a webhook after an instant completion) finds nothing to do.
 */
export async function completePurchase(deps: PurchaseDeps, transactionId: string): Promise<boolean> {
  const done = await deps.db.transaction(async (tx) => {
    const row = await markCompleted(tx, transactionId);
    if (!row) return null;
    // The money moved; what it buys is checked again now, as the room is at this moment.
    const stale = await whyNotApplicable(tx, row);
    if (stale) {
      await recordNotApplied(tx, row.id, stale);
      return { row, pin: null, notApplied: stale };
    }
    if (row.type === "pin") {
      const pin = await applyPin(tx, row.messageId!, row.amountCents, pinSeconds(row.amountCents, deps.pinSecondsPerMinute));
      return { row, pin };
    }
    if (row.type === "back_room") {
      await addBackroomMember(tx, { chatRoomId: row.chatRoomId, participationId: row.participationId, transactionId: row.id });
    }
    return { row, pin: null };
  });
  if (!done) return false;
  const { row, pin } = done;
  if ("notApplied" in done) {
  logEvent("payment_not_applied", { room: deps.room.code, transaction: row.id, type: row.type, reason: done.notApplied });
  return false;
  }
  logEvent("payment_completed", { room: deps.room.code, transaction: row.id, type: row.type });
  if (pin) {
  await deps.cacheHealth.write(
    () => cachePin(deps.redis, deps.room.code, row.messageId!, pin.pinnedUntil.getTime(), deps.window.ttlSeconds),
    (e) => logEvent("pin_cache_failed", { room: deps.room.code, error: errorText(e) }),
  );
  const message = await deps.db.run((conn) => publicMessage(conn, deps.room.code, row.messageId!));
  if (message) deps.broadcast(pinnedFrame(message));
  await deps.pinEndsAt(pin.pinnedUntil.getTime());
  } else if (row.type === "tip") {
  const who = await deps.db.run((conn) => usernameOf(conn, row.participationId));
  deps.postSystemMessage(`${who ?? "Someone"} tipped the host ${formatUsd(row.amountCents)}`);
  } else {
  deps.memberJoined(row.participationId);
  }
  return true;
}

export type NotAppliedReason = "message_deleted" | "outbid" | "backroom_full";

/**
 * Why a payment completing now can no longer buy what it was for, or null. A pin's message may
 * have been deleted or outbid while the payment was pending; a seat's hold may have run out and
 * the seats filled (or the host closed the back room or cut its seats). Such a payment stays
 * paid and records the reason (docs/API.md, "not_applied_reason").
 */
async function whyNotApplicable(conn: Db, row: TransactionRow): Promise<NotAppliedReason | null> {
  if (row.type === "pin") {
  const message = await liveMessage(conn, row.chatRoomId, row.messageId!);
  if (!message) return "message_deleted";
  if (await isPinActive(conn, message.id)) return null;
  return row.amountCents < minimumToOutbid(await topPinAmount(conn, row.chatRoomId, message.id)) ? "outbid" : null;
  }
  if (row.type === "back_room") {
  const room = await findRoomById(conn, row.chatRoomId);
  const full = !room?.backroomEnabled || (await backroomMemberCount(conn, row.chatRoomId)) >= (room.backroomSeatLimit ?? 0);
  return full ? "backroom_full" : null;
  }
  return null;
}

/** What a provider reports taking back from a payment. */
export type TakeBack =
  /** A refund: how much of the payment has been refunded in all (Stripe's `amount_refunded`). */
  | { refundedTotalCents: number }
  /** A dispute the host lost (the buyer's bank sided with the buyer): its amount goes back too. */
  | { disputeLostCents: number };

/**
 * A refund or a lost dispute, applied once: the transaction records how much was taken back in
 * all (in the same Postgres transaction as taking back what that bought), so a repeated or stale
 * event takes nothing twice. A pin loses that payment's share (its cents and the time they
 * bought), and ends only when nothing is left; a payment into a pin that already ended touches no
 * newer pin. A seat is given up when the whole price came back (a partial refund keeps the seat
 * and shows in the transaction's refunded_cents). A tip only leaves the host's earnings.
 * Answers whether anything changed.
 */
export async function takeBackPurchase(deps: PurchaseDeps, transactionId: string, cause: TakeBack): Promise<boolean> {
  const done = await deps.db.transaction(async (tx) => {
    const row = await lockTransaction(tx, transactionId);
    if (!row || (row.status !== "completed" && row.status !== "refunded")) return null;
    const lost = "disputeLostCents" in cause;
    const wanted = lost ? row.refundedCents + cause.disputeLostCents : cause.refundedTotalCents;
    const total = Math.min(row.amountCents, Math.max(row.refundedCents, wanted));
    const delta = total - row.refundedCents;
    if (delta <= 0 && !(lost && row.disputeStatus !== "lost")) return null;
    const updated = await recordTakenBack(tx, row, total, lost ? { cents: cause.disputeLostCents } : undefined);
    if (delta <= 0 || row.notAppliedReason) return { row: updated, pin: null, seatGone: false };
    if (row.type === "pin") {
      const bought = pinSeconds(row.amountCents, deps.pinSecondsPerMinute);
      const pin = await takeBackFromPin(tx, row.messageId!, row.id, refundShare(row.amountCents, bought, delta));
      return { row: updated, pin, seatGone: false };
    }
    const seatGone = row.type === "back_room" && updated.status === "refunded";
    if (seatGone) await removeBackroomMember(tx, row.id);
    return { row: updated, pin: null, seatGone };
  });
  if (!done) return false;
  const { row, pin, seatGone } = done;
  logEvent(row.status === "refunded" ? "payment_refunded" : "payment_partly_refunded", {
  room: deps.room.code,
  transaction: row.id,
  type: row.type,
  refunded_cents: row.refundedCents,
  ...(row.disputeStatus ? { dispute: row.disputeStatus } : {}),
  });
  if (pin && row.messageId) await showPinChange(deps, row.messageId, pin);
  if (seatGone) deps.memberLeft(row.participationId);
  return true;
}

/** Tells the room a pin lost a refunded share: it ends (unpinned), or goes on shorter (pinned, as it is now). */
async function showPinChange(deps: PurchaseDeps, messageId: string, pin: { pinned: boolean; pinnedUntil: Date }) {
  const cacheFailed = (e: unknown) => logEvent("pin_cache_failed", { room: deps.room.code, error: errorText(e) });
  if (!pin.pinned) {
  await deps.cacheHealth.write(() => uncachePins(deps.redis, deps.room.code, [messageId]), cacheFailed);
  deps.broadcast(unpinnedFrame(messageId));
  return;
  }
  await deps.cacheHealth.write(() => cachePin(deps.redis, deps.room.code, messageId, pin.pinnedUntil.getTime(), deps.window.ttlSeconds), cacheFailed);
  const message = await deps.db.run((conn) => publicMessage(conn, deps.room.code, messageId));
  if (message) deps.broadcast(pinnedFrame(message));
  await deps.pinEndsAt(pin.pinnedUntil.getTime());
}
