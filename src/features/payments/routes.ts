// Paid actions (pins, tips, back-room seats), the payment webhook and the
// host's earnings. Every paid request carries an Idempotency-Key: the same
// key twice is one payment. The room's Durable Object checks, charges and
// applies each purchase (see room/purchases.ts).
import { documented } from "../../platform/http/openapi";
import { EARNINGS_DEFAULT_LIMIT, earningsAnswer, earningsQuery, paidAnswer, pendingAnswer, webhookAnswer } from "./schemas";
import { messageSchema } from "../messages/schemas";
import { Hono, type Context } from "hono";
import { ApiError } from "../../platform/errors";
import { CURRENCY, PIN_MAX_CENTS, PIN_MIN_CENTS, TIP_MAX_CENTS, TIP_MIN_CENTS, amountProblem } from "../../domain/pricing";
import { findRoomById } from "../rooms/queries";
import { earningsOfHost, findByProviderPayment, markFailed, recordDispute } from "./queries";
import { jsonBody, queryParams } from "../../platform/http/body";
import { requireUser } from "../accounts/auth";
import type { AppEnv } from "../../platform/http/context";
import { requireSession, sessionTokenOf } from "../rooms/session";
import { requireProvider } from "./provider";
import { verifyStripeWebhook } from "./stripe-provider";
import type { PurchaseOrder, PurchaseOutcome } from "./purchases";
import { unwrap } from "../../platform/rpc-result";
import { messageIdOf } from "../messages/history";
import { paidBody } from "./schemas";
import { logEvent } from "../../platform/log";
import { roomStub } from "../../platform/room-stub";
import { IDEMPOTENCY_KEY_HEADER } from "../../protocol";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKey(c: Context<AppEnv>): string {
  const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
  if (!key) {
    throw new ApiError(
      400,
      "IDEMPOTENCY_KEY_REQUIRED",
      "Send an `Idempotency-Key` header (a fresh random string per payment) so a retry never pays twice.",
    );
  }
  if (!IDEMPOTENCY_KEY.test(key))
    throw new ApiError(400, "INVALID_IDEMPOTENCY_KEY", "`Idempotency-Key` must be 1 to 255 visible ASCII characters.");
  return key;
}

function amountOf(raw: unknown, min: number, max: number): number {
  const problem = amountProblem(raw, min, max);
  if (problem) throw new ApiError(400, "INVALID_AMOUNT", problem, { min_cents: min, max_cents: max });
  return raw as number;
}

/** 200 when the money moved and the effect applied; 402 when the client must finish the payment. */
function answer(c: Context<AppEnv>, outcome: PurchaseOutcome) {
  if (outcome.status === "pending") return c.json({ transaction: outcome.transaction, client_secret: outcome.clientSecret }, 402);
  return c.json({ transaction: outcome.transaction, ...(outcome.message ? { message: outcome.message } : {}) });
}

async function buy(c: Context<AppEnv>, token: string | undefined, order: Omit<PurchaseOrder, "idempotencyKey" | "testOutcome">) {
  const code = c.req.param("code")!;
  const claims = await requireSession(c, code, sessionTokenOf(c, token));
  const key = idempotencyKey(c);
  requireProvider(c.env); // refuse early when payments are not configured
  const result = await roomStub(c.env, code).purchase(claims, {
    ...order,
    idempotencyKey: key,
    testOutcome: c.req.header("X-Test-Payment-Outcome"),
  });
  return answer(c, unwrap(result));
}

export const paidRoutes = new Hono<AppEnv>()
  .post(
    "/:code/messages/:id/pin",
    documented({
      summary: "Pin a message (paid)",
      tags: ["payments"],
      auth: "session",
      idempotent: true,
      answers: {
        200: { description: "Paid and pinned", schema: paidAnswer({ message: messageSchema }) },
        402: { description: "Confirm the payment with the client secret", schema: pendingAnswer },
      },
    }),
    jsonBody(paidBody),
    async (c) => {
      const body = c.req.valid("json");
      const id = messageIdOf(c.req.param("id"));
      const amount = amountOf(body.amount_cents, PIN_MIN_CENTS, PIN_MAX_CENTS);
      return buy(c, body.session_token, { type: "pin", amountCents: amount, messageId: id });
    },
  )
  .post(
    "/:code/tip",
    documented({
      summary: "Tip the host (paid)",
      tags: ["payments"],
      auth: "session",
      idempotent: true,
      answers: {
        200: { description: "Paid", schema: paidAnswer() },
        402: { description: "Confirm the payment with the client secret", schema: pendingAnswer },
      },
    }),
    jsonBody(paidBody),
    async (c) => {
      const body = c.req.valid("json");
      const amount = amountOf(body.amount_cents, TIP_MIN_CENTS, TIP_MAX_CENTS);
      return buy(c, body.session_token, { type: "tip", amountCents: amount, messageId: null });
    },
  )
  .post(
    "/:code/backroom/join",
    documented({
      summary: "Buy a back-room seat (paid)",
      tags: ["backroom", "payments"],
      auth: "session",
      idempotent: true,
      answers: {
        200: { description: "Paid; the seat is yours", schema: paidAnswer() },
        402: { description: "Confirm the payment with the client secret", schema: pendingAnswer },
      },
    }),
    jsonBody(paidBody),
    async (c) => {
      const body = c.req.valid("json");
      return buy(c, body.session_token, { type: "back_room", amountCents: null, messageId: null });
    },
  );

export const webhookRoutes = new Hono<AppEnv>().post(
  "/webhook",
  documented({
    summary: "Stripe webhook (Stripe-Signature checked)",
    description:
      "Takes payment_intent.succeeded, payment_intent.payment_failed, payment_intent.canceled, charge.refunded (a refund takes back that payment's share, partial ones their fraction), charge.dispute.created and charge.dispute.closed (a lost dispute takes back like a refund). An amount that is not whole, non-negative cents is 400 WEBHOOK_INVALID.",
    tags: ["payments"],
    answers: { 200: { description: "Received; whether it changed anything", schema: webhookAnswer } },
  }),
  async (c) => {
    const secret = c.env.STRIPE_WEBHOOK_SECRET;
    if (!secret) throw new ApiError(503, "WEBHOOK_NOT_CONFIGURED", "Set STRIPE_WEBHOOK_SECRET to accept payment webhooks.");
    const signature = c.req.header("Stripe-Signature");
    if (!signature) throw new ApiError(400, "SIGNATURE_MISSING", "The webhook has no Stripe-Signature header.");
    const body = await c.req.text();
    const event = await verifyStripeWebhook(body, signature, secret);
    if (!event) {
      logEvent("webhook_refused", { reason: "signature" });
      throw new ApiError(400, "SIGNATURE_INVALID", "The webhook signature does not match, or its timestamp is too old.");
    }
    if (event.kind === "ignored" || !event.providerPaymentId) return c.json({ received: true, applied: false });

    const db = c.var.db();
    const provider = requireProvider(c.env);
    const tx = await findByProviderPayment(db, provider.name, event.providerPaymentId);
    if (!tx) throw new ApiError(404, "PAYMENT_NOT_FOUND", "No transaction has this payment id.");
    const room = await findRoomById(db, tx.chatRoomId);
    // The metadata we put on the payment names its room: an event that says otherwise changes nothing.
    if (event.chatCode !== null && event.chatCode !== room?.code) {
      logEvent("webhook_refused", { reason: "room_mismatch", transaction: tx.id });
      throw new ApiError(400, "PAYMENT_ROOM_MISMATCH", "The payment's metadata names another room than its transaction; nothing was applied.");
    }
    if (event.amountCents === null) {
      logEvent("webhook_refused", { reason: "amount", transaction: tx.id });
      throw new ApiError(400, "WEBHOOK_INVALID", "The event's amount is not a whole, non-negative number of cents; nothing was applied.");
    }
    let applied = false;
    if (event.kind === "succeeded") {
      applied = unwrap(await roomStub(c.env, room!.code).completePayment(tx.id)).applied;
    } else if (event.kind === "canceled") {
      // Final: the payment will never complete, and a pending seat is free again.
      applied = (await markFailed(db, tx.id)) !== null;
    } else if (event.kind === "attempt_failed") {
      // Not final: the buyer may retry the same payment, and its success completes the purchase.
      applied = false;
    } else if (event.kind === "refunded") {
      // A refund takes back that payment's share of what it bought, in the room's turn.
      const refundedTotalCents = event.amountCents ?? tx.amountCents;
      applied = unwrap(await roomStub(c.env, room!.code).takeBackPayment(tx.id, { refundedTotalCents })).applied;
    } else if (event.kind === "dispute_opened") {
      // Nothing is taken back while the bank decides; the host sees the amount in earnings.
      applied = await recordDispute(db, tx.id, event.amountCents ?? tx.amountCents, "open");
    } else if (event.disputeWon) {
      applied = await recordDispute(db, tx.id, event.amountCents ?? tx.amountCents, "won");
    } else {
      // A lost dispute takes back like a refund of its amount.
      const disputeLostCents = event.amountCents ?? tx.amountCents;
      applied = unwrap(await roomStub(c.env, room!.code).takeBackPayment(tx.id, { disputeLostCents })).applied;
    }
    logEvent("webhook_handled", { event: event.eventType, transaction: tx.id, applied });
    return c.json({ received: true, applied });
  },
);

export const earningsRoutes = new Hono<AppEnv>().get(
  "/me/earnings",
  documented({
    summary: "The host's completed income per room",
    tags: ["accounts", "payments"],
    auth: "bearer",
    description: "One page of rooms (by code): pass `next_after` as `after` for the next. `total_cents` covers all the host's rooms.",
    answers: { 200: { description: "Income per room", schema: earningsAnswer } },
  }),
  queryParams(earningsQuery),
  async (c) => {
    const { user } = await requireUser(c);
    const q = c.req.valid("query");
    const page = await earningsOfHost(c.var.db(), user.id, { limit: q.limit ?? EARNINGS_DEFAULT_LIMIT, after: q.after ?? null });
    return c.json({ currency: CURRENCY, rooms: page.rooms, next_after: page.nextAfter, total_cents: page.totalCents });
  },
);
