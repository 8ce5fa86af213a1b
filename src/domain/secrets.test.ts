import { describe, expect, it } from "vitest";
import { secretsProblem } from "./secrets";

const good = { JWT_SECRET: "k".repeat(10) + "0123456789abcdef0123456789", STRIPE_WEBHOOK_SECRET: "whsec_0123456789abcdef0123456789abcdef" };

describe("secrets", () => {
  it("serves with strong secrets", () => expect(secretsProblem(good)).toBeNull());

  it("refuses missing, short and repository values, naming what is wrong but never the value", () => {
    expect(secretsProblem({ ...good, JWT_SECRET: undefined })).toContain("JWT_SECRET is not set");
    expect(secretsProblem({ ...good, JWT_SECRET: "short-secret" })).toContain("JWT_SECRET is shorter than 32 bytes");
    expect(secretsProblem({ ...good, STRIPE_WEBHOOK_SECRET: "whsec_dev_only_do_not_use_in_production" })).toContain("STRIPE_WEBHOOK_SECRET is a development value");
    expect(secretsProblem({ ...good, JWT_SECRET: "short-secret" })).not.toContain("short-secret");
  });

  it("refuses a Stripe API base (the local stand-in) outside development", () => {
    expect(secretsProblem({ ...good, STRIPE_API_BASE: "http://127.0.0.1:4242" })).toContain("STRIPE_API_BASE");
    expect(secretsProblem({ ...good, STRIPE_API_BASE: "http://127.0.0.1:4242", LOCAL_DEV: "true" })).toBeNull();
  });

  it("refuses test payments outside development: they would complete every purchase for free", () => {
    expect(secretsProblem({ ...good, ALLOW_TEST_PAYMENTS: "true" })).toContain("ALLOW_TEST_PAYMENTS");
    expect(secretsProblem({ ...good, ALLOW_TEST_PAYMENTS: "true", LOCAL_DEV: "true" })).toBeNull();
    expect(secretsProblem({ ...good, ALLOW_TEST_PAYMENTS: "" })).toBeNull();
  });

  it("lets development values through only when LOCAL_DEV says so", () => {
    expect(secretsProblem({ JWT_SECRET: "dev-only-secret-do-not-use-in-production", LOCAL_DEV: "true" })).toBeNull();
    expect(secretsProblem({ JWT_SECRET: "dev-only-secret-do-not-use-in-production", LOCAL_DEV: "1" })).not.toBeNull();
  });
});
