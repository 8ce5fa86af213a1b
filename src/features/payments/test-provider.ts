// The test provider: no money moves. A payment completes at once, unless the
// request asks for a pending one (finished later by a signed webhook, as
// Stripe would) or a declined one. Only used when ALLOW_TEST_PAYMENTS is set.
import type { PaymentProvider } from "./provider";

export const testProvider: PaymentProvider = {
  name: "test",
  async createPayment(req) {
    // Deterministic from our transaction id: asking twice gives the same payment, as with an idempotency key.
    const providerPaymentId = `pi_test_${req.transactionId.replace(/-/g, "")}`;
    if (req.testOutcome === "declined") return { providerPaymentId, status: "failed", clientSecret: null };
    if (req.testOutcome === "pending") {
      return { providerPaymentId, status: "pending", clientSecret: `${providerPaymentId}_secret_test` };
    }
    return { providerPaymentId, status: "completed", clientSecret: null };
  },
};
