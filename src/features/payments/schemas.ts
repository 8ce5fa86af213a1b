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
  })
  .meta({ id: "Transaction" });

/** 200: the money moved and the effect applied (a pin's answer carries the pinned message). */
export const paidAnswer = (extra: z.ZodRawShape = {}) => z.object({ transaction: transactionSchema, ...extra });

/** 402: the client must confirm the payment with the provider; a webhook completes it. */
export const pendingAnswer = z.object({ transaction: transactionSchema, client_secret: z.string().nullable() });

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
      payments: z.number().int(),
    }),
  ),
  total_cents: z.number().int(),
});

export const webhookAnswer = z.object({ received: z.literal(true), applied: z.boolean() });
