/** The JWT_SECRET the Worker under test is given (vitest.config.ts); tests use it to mint edge-case tokens. */
export const TEST_JWT_SECRET = "test-only-jwt-secret-0123456789abcdef";
