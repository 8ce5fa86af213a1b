// A Worker started with unsafe secrets, or with a development-only setting,
// refuses every request with 503 and writes nothing; the same request to a
// correctly configured Worker succeeds.
import { afterAll, describe, expect, it } from "vitest";
import { startTestWorker, type TestWorker } from "./worker.ts";

const started: TestWorker[] = [];
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop()));
});

/** A Worker as a deploy runs it: no LOCAL_DEV, no test payments, over these settings. */
async function deployedWorker(vars: Record<string, string> = {}) {
  const worker = await startTestWorker({ LOCAL_DEV: "", ALLOW_TEST_PAYMENTS: "", ...vars });
  started.push(worker);
  return worker;
}

const newAccount = () => {
  const rand = crypto.randomUUID().slice(0, 8);
  return { email: `secrets-${rand}@example.com`, password: "sturdy-pass-42", reserved_username: `sec_${rand}` };
};

async function expectRefusesEverything(worker: TestWorker, account: object, hidden: string) {
  for (const [method, path, body] of [
    ["POST", "/api/auth/register/", account],
    ["GET", "/api/", undefined],
    ["GET", "/api/chats/abcdefgh/", undefined],
  ] as const) {
    const res = await worker.call(method, path, body);
    expect(res.status, path).toBe(503);
    expect(res.body.code, path).toBe("SERVICE_MISCONFIGURED");
    expect(JSON.stringify(res.body)).not.toContain(hidden);
  }
}

describe("unsafe settings", () => {
  it("a short secret makes every request answer 503 SERVICE_MISCONFIGURED, and register stores nothing", async () => {
    const account = newAccount();
    await expectRefusesEverything(await deployedWorker({ JWT_SECRET: "too-short" }), account, "too-short");
    // The refused register wrote nothing: the same account registers on a safe Worker.
    const good = await deployedWorker();
    expect((await good.call("POST", "/api/auth/register/", account)).status).toBe(201);
  });

  it("test payments without LOCAL_DEV make every request answer 503: no purchase completes for free in a deploy", async () => {
    const account = newAccount();
    await expectRefusesEverything(await deployedWorker({ ALLOW_TEST_PAYMENTS: "true" }), account, "ALLOW_TEST_PAYMENTS");
    const good = await deployedWorker();
    expect((await good.call("POST", "/api/auth/register/", account)).status).toBe(201);
  });
});

describe("health of a deployed Worker", () => {
  it("reports unsafe secrets by name (never by value) while every other request is refused", async () => {
    const worker = await deployedWorker({ JWT_SECRET: "too-short" });
    const res = await worker.call("GET", "/api/health/");
    expect(res.status).toBe(503);
    expect(res.body.failing).toContain("secrets");
    expect(res.body.checks.secrets.detail).toContain("JWT_SECRET");
    expect(JSON.stringify(res.body)).not.toContain("too-short");
    expect(res.body.checks.postgres.ok).toBe(true);
  });

  it("is 503 naming payments without a provider, 200 once STRIPE_SECRET_KEY is set", async () => {
    const bare = await (await deployedWorker()).call("GET", "/api/health/");
    expect(bare.status).toBe(503);
    expect(bare.body.failing).toEqual(["payments"]);
    expect(bare.body.checks.payments.detail).toContain("STRIPE_SECRET_KEY");
    const stripe = await (await deployedWorker({ STRIPE_SECRET_KEY: "sk_test_health_0123456789" })).call("GET", "/api/health/");
    expect(stripe.status).toBe(200);
    expect(stripe.body.checks.payments).toEqual({ ok: true, provider: "stripe" });
  });
});
