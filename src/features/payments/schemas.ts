// What the payment routes accept and answer.
import { z } from "zod";

export const paidBody = z.object({
  session_token: z.string({ error: "`session_token` must be a string." }).optional(),
  amount_cents: z.unknown().optional(),
});

// ---- answers ----------------------------------------------------------------

export const transactionSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(["pin", "tip", "back_room"]),
    amount_cents: z.number().int(),
    currency: z.string(),
    status: z.enum(["pending", "completed", "failed", "refunded"]),
    message_id: z.uuid().nullable(),
    provider: z.string(),
    provider_payment_id: z.string().nullable(),
    created_at: z.iso.datetime(),
    completed_at: z.iso.datetime().nullable(),
    not_applied_reason: z
      .string()
      .nullable()
      .describe('Paid, but what it bought was not given: "backroom_full" (the seats filled while the payment was pending). Null otherwise.'),
    refunded_cents: z.number().int().describe("Taken back so far by refunds (partial ones too) and a lost dispute; all of it makes the status `refunded`."),
    dispute_status: z.enum(["open", "won", "lost"]).nullable().describe("A dispute the buyer opened with their bank, if any."),
  })
  .meta({ id: "Transaction" });

/** 200: the money moved and the effect applied (a pin's answer carries the pinned message). */
export const paidAnswer = (extra: z.ZodRawShape = {}) => z.object({ transaction: transactionSchema, ...extra });

/** 402: the client must confirm the payment with the provider; a webhook completes it. */
export const pendingAnswer = z.object({ transaction: transactionSchema, client_secret: z.string().nullable() });

export const EARNINGS_DEFAULT_LIMIT = 50;

export const earningsQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { error: "`limit` must be a whole number from 1 to 100." })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, { error: "`limit` must be a whole number from 1 to 100." })
    .optional(),
  after: z.string().max(16, { error: "`after` must be a `next_after` value from an earlier page." }).optional(),
});

export const earningsAnswer = z.object({
  currency: z.string(),
  rooms: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      tips_cents: z.number().int(),
      pins_cents: z.number().int(),
      back_room_cents: z.number().int(),
      total_cents: z.number().int(),
      not_applied_cents: z.number().int().describe("Paid, but what it bought was not given (see a transaction's not_applied_reason)."),
      refunded_cents: z.number().int().describe("Taken back by refunds (partial ones included) and lost disputes: not in the totals."),
      disputed_cents: z.number().int().describe("Under a dispute the buyer opened with their bank, not decided yet: still in the totals, may be taken back."),
      payments: z.number().int(),
    }),
  ),
  next_after: z.string().nullable().describe("Pass as `after` for the next page; null on the last."),
  total_cents: z.number().int().describe("All the host's rooms, not only this page."),
});

export const webhookAnswer = z.object({ received: z.literal(true), applied: z.boolean() });
