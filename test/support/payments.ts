// The payment webhook as Stripe delivers it, for the suites that finish payments.
import Stripe from "stripe";
import { api, unique } from "./api";
import { TEST_WEBHOOK_SECRET } from "./test-secret";

/** Delivers a webhook the way Stripe does, signed by the Stripe SDK's own test helper. */
export async function webhook(type: string, object: Record<string, unknown>, opts: { secret?: string; at?: number; signature?: string | null } = {}) {
  const payload = JSON.stringify({ id: `evt_${unique()}`, object: "event", type, data: { object }, created: Math.floor(Date.now() / 1000) });
  const signature =
    opts.signature === undefined
      ? await Stripe.webhooks.generateTestHeaderStringAsync({
          payload,
          secret: opts.secret ?? TEST_WEBHOOK_SECRET,
          timestamp: opts.at ?? Math.floor(Date.now() / 1000),
          cryptoProvider: Stripe.createSubtleCryptoProvider(),
        })
      : opts.signature;
  return api("POST", "/api/payments/webhook/", {
    rawBody: payload,
    headers: { "Content-Type": "application/json", ...(signature === null ? {} : { "Stripe-Signature": signature }) },
  });
}

/** Completes a pending payment as Stripe would (payment_intent.succeeded); answers whether its effect applied. */
export async function completeByWebhook(providerPaymentId: string): Promise<boolean> {
  const res = await webhook("payment_intent.succeeded", { id: providerPaymentId, object: "payment_intent", status: "succeeded" });
  if (res.status !== 200) throw new Error(`webhook failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.applied;
}
