/** The JWT_SECRET the Worker under test is given (vitest.config.ts); tests use it to mint edge-case tokens. */
/** The Stripe webhook signing secret the Worker under test is given; tests sign payloads with it as Stripe does. */
export const TEST_WEBHOOK_SECRET = "whsec_test_only_0123456789abcdef";

export const TEST_JWT_SECRET = "test-only-jwt-secret-0123456789abcdef";
