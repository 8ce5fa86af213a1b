// A Worker started with unsafe secrets refuses every request with 503 and
// writes nothing; the same request to a correctly configured Worker succeeds.
import { afterAll, describe, expect, it } from "vitest";
import { startTestWorker, type TestWorker } from "./worker.ts";

const started: TestWorker[] = [];
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop()));
});

describe("unsafe secrets", () => {
  it("make every request answer 503 SERVICE_MISCONFIGURED, and register stores nothing", async () => {
    const bad = await startTestWorker({ JWT_SECRET: "too-short" });
    started.push(bad);
    const email = `secrets-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const account = { email, password: "sturdy-pass-42", reserved_username: `sec_${crypto.randomUUID().slice(0, 8)}` };
    for (const [method, path, body] of [
      ["POST", "/api/auth/register/", account],
      ["GET", "/api/", undefined],
      ["GET", "/api/chats/abcdefgh/", undefined],
    ] as const) {
      const res = await bad.call(method, path, body);
      expect(res.status, path).toBe(503);
      expect(res.body.code, path).toBe("SERVICE_MISCONFIGURED");
      expect(JSON.stringify(res.body)).not.toContain("too-short");
    }
    // The refused register wrote nothing: the same account registers on a safe Worker.
    const good = await startTestWorker();
    started.push(good);
    expect((await good.call("POST", "/api/auth/register/", account)).status).toBe(201);
  });
});
