// Stripe: a PaymentIntent per purchase, created server-side with our
// transaction id as the idempotency key; the client confirms it with the
// client_secret, and the webhook (payment_intent.succeeded) completes it.
import Stripe from "stripe";
import type { PaymentEvent, PaymentProvider } from "./provider";

const clients = new Map<string, Stripe>();

function client(secretKey: string, apiBase?: string): Stripe {
  const id = `${secretKey}|${apiBase ?? ""}`;
  let found = clients.get(id);
  if (!found) {
    const base = apiBase ? new URL(apiBase) : null;
    found = new Stripe(secretKey, {
      httpClient: Stripe.createFetchHttpClient(),
      maxNetworkRetries: 1,
      timeout: 10_000,
      ...(base ? { host: base.hostname, port: Number(base.port || 443), protocol: base.protocol.replace(":", "") as "http" | "https" } : {}),
    });
    clients.set(id, found);
  }
  return found;
}

export function stripeProvider(secretKey: string, apiBase?: string): PaymentProvider {
  return {
    name: "stripe",
    async createPayment(req) {
      const intent = await client(secretKey, apiBase).paymentIntents.create(
        {
          amount: req.amountCents,
          currency: req.currency,
          description: req.description,
          metadata: req.metadata,
          automatic_payment_methods: { enabled: true },
        },
        { idempotencyKey: req.transactionId },
      );
      const status = intent.status === "succeeded" ? "completed" : intent.status === "canceled" ? "failed" : "pending";
      return { providerPaymentId: intent.id, status, clientSecret: intent.client_secret };
    },
  };
}

/** Checks Stripe's signature (and its timestamp, 5 minutes of tolerance); null when it does not hold. */
export async function verifyStripeWebhook(body: string, signature: string, secret: string): Promise<PaymentEvent | null> {
  let event: Stripe.Event;
  try {
    event = await Stripe.webhooks.constructEventAsync(body, signature, secret, 300, Stripe.createSubtleCryptoProvider());
  } catch {
    return null;
  }
  const object = event.data.object as {
    id?: string;
    object?: string;
    payment_intent?: string | { id: string } | null;
    metadata?: Record<string, string> | null;
    amount?: number;
    amount_refunded?: number;
    status?: string;
  };
  const intentOf = (pi: typeof object.payment_intent) => (typeof pi === "string" ? pi : (pi?.id ?? null));
  // An amount Stripe always sends; null when it came malformed (the route refuses such an event).
  const cents = (n: unknown) => (n === undefined ? undefined : typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : null);
  const chatCode = typeof object.metadata?.chat_code === "string" ? object.metadata.chat_code : null;
  switch (event.type) {
    case "payment_intent.succeeded":
      return { kind: "succeeded", providerPaymentId: object.id ?? null, eventType: event.type, chatCode };
    case "payment_intent.payment_failed":
      return { kind: "attempt_failed", providerPaymentId: object.id ?? null, eventType: event.type, chatCode };
    case "payment_intent.canceled":
      return { kind: "canceled", providerPaymentId: object.id ?? null, eventType: event.type, chatCode };
    case "charge.refunded":
      // A charge's amount_refunded is the refunds' running total: the same event twice takes nothing twice.
      return { kind: "refunded", providerPaymentId: intentOf(object.payment_intent), amountCents: cents(object.amount_refunded), eventType: event.type, chatCode };
    case "charge.dispute.created":
      return { kind: "dispute_opened", providerPaymentId: intentOf(object.payment_intent), amountCents: cents(object.amount), eventType: event.type, chatCode };
    case "charge.dispute.closed":
      return {
        kind: "dispute_closed",
        providerPaymentId: intentOf(object.payment_intent),
        amountCents: cents(object.amount),
        // Stripe closes a dispute as "won" (the money stays), "lost", or "warning_closed" (an inquiry that never became a dispute).
        disputeWon: object.status !== "lost",
        eventType: event.type,
        chatCode,
      };
    default:
      return { kind: "ignored", providerPaymentId: null, eventType: event.type, chatCode };
  }
}
