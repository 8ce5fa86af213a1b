// The payment provider behind every purchase (pins, tips, the back room).
// Stripe in production; a test provider that completes at once locally and
// in tests. A deploy without Stripe keys refuses payments unless test
// payments were allowed on purpose (ALLOW_TEST_PAYMENTS = "true").
import { ApiError } from "../../platform/errors";
import { stripeProvider } from "./stripe-provider";
import { testProvider } from "./test-provider";

export interface PaymentRequest {
  /** Our transaction id: also the provider's idempotency key, so a retry never charges twice. */
  transactionId: string;
  amountCents: number;
  currency: string;
  description: string;
  metadata: Record<string, string>;
  /** Test provider only: "pending" leaves the payment for a webhook, "declined" refuses it. */
  testOutcome?: string;
}

export interface PaymentAttempt {
  providerPaymentId: string;
  /** completed: money moved; pending: the client must finish it (client_secret), a webhook completes it. */
  status: "completed" | "pending" | "failed";
  clientSecret: string | null;
}

/** What a verified webhook says happened to a payment. */
export interface PaymentEvent {
  /**
   * attempt_failed: this try failed but the buyer may retry the same payment; canceled: final;
   * refunded: `amountCents` is how much has been refunded in all; dispute_opened / dispute_closed:
   * the buyer disputed `amountCents` with their bank, and (closed) `disputeWon` says who won.
   */
  kind: "succeeded" | "attempt_failed" | "canceled" | "refunded" | "dispute_opened" | "dispute_closed" | "ignored";
  providerPaymentId: string | null;
  /** Absent: the whole payment; null: the event's amount is malformed. */
  amountCents?: number | null;
  disputeWon?: boolean;
  /** The room our metadata on the payment names, when the event carries it. */
  chatCode: string | null;
  eventType: string;
}

export interface PaymentProvider {
  readonly name: "stripe" | "test";
  createPayment(req: PaymentRequest): Promise<PaymentAttempt>;
}

/** Stripe when a key is set, the test provider where a local setting allows it, else null. */
export function paymentProvider(env: Env): PaymentProvider | null {
  if (env.STRIPE_SECRET_KEY) return stripeProvider(env.STRIPE_SECRET_KEY, env.STRIPE_API_BASE);
  if (env.ALLOW_TEST_PAYMENTS === "true") return testProvider;
  return null;
}

export const paymentsNotConfigured = () =>
  new ApiError(503, "PAYMENTS_NOT_CONFIGURED", "Payments are not set up on this server (no STRIPE_SECRET_KEY).");

/** The provider, or 503 PAYMENTS_NOT_CONFIGURED. */
export function requireProvider(env: Env): PaymentProvider {
  const provider = paymentProvider(env);
  if (!provider) throw paymentsNotConfigured();
  return provider;
}
