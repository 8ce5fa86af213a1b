// GET /api/health: each dependency's state, 503 naming the failing one,
// checked at most once per few seconds, limited per address.
import { describe, expect, it } from "vitest";
import journal from "../drizzle/meta/_journal.json";
import { api, randomIp, standInCounts, withPostgresDown, withRedisFault } from "./support/api";

const newestMigration = journal.entries.at(-1)!.tag;

/** Asks until the answer has the wanted status (the report is cached for up to 5 s). */
async function healthUntil(status: number) {
  const deadline = Date.now() + 12_000;
  for (;;) {
    const res = await api("GET", "/api/health/");
    if (res.status === status || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("health", () => {
  it("answers 200 with every dependency's state, Postgres migrated to this code's newest migration", async () => {
    const res = await healthUntil(200);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body.status).toBe("ok");
    expect(res.body.failing).toEqual([]);
    expect(res.body.checks.postgres).toMatchObject({ ok: true, schema: newestMigration, expected: newestMigration });
    expect(res.body.checks.redis.ok).toBe(true);
    expect(res.body.checks.payments).toEqual({ ok: true, provider: "test" });
    expect(res.body.checks.secrets).toEqual({ ok: true });
    // Without the trailing slash too (the app's routes take both).
    expect((await api("GET", "/api/health")).status).toBe(200);
  });

  it("answers again from its cache: a poll within seconds costs no Postgres statement and no Redis call", async () => {
    await healthUntil(200);
    const before = await standInCounts();
    for (let i = 0; i < 5; i++) expect((await api("GET", "/api/health/")).status).toBe(200);
    const after = await standInCounts();
    // standInCounts itself is one Upstash request (its /__stats) per call; the five health checks add none.
    expect(after.statements - before.statements).toBe(0);
    expect(after.upstash - before.upstash).toBeLessThanOrEqual(1);
  });

  it("answers 503 naming Postgres while it is unreachable, and 200 again once it is back", async () => {
    await withPostgresDown(async () => {
      const res = await healthUntil(503);
      expect(res.status).toBe(503);
      expect(res.body.status).toBe("failing");
      expect(res.body.failing).toEqual(["postgres"]);
      expect(res.body.checks.postgres.ok).toBe(false);
      expect(res.body.checks.postgres.detail).toMatch(/^unreachable/);
      expect(res.body.checks.redis.ok).toBe(true);
    });
    expect((await healthUntil(200)).status).toBe(200);
  });

  it("answers 503 naming Redis while Upstash fails", async () => {
    await withRedisFault(async () => {
      const res = await healthUntil(503);
      expect(res.body.failing).toEqual(["redis"]);
      expect(res.body.checks.redis.detail).toMatch(/^unreachable/);
      expect(res.body.checks.postgres.ok).toBe(true);
    });
    expect((await healthUntil(200)).status).toBe(200);
  });

  it(`refuses an address past 60 calls a minute with 429 and Retry-After; other addresses still get answers`, async () => {
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await api("GET", "/api/health/", { ip })).status);
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true);
    const refused = await api("GET", "/api/health/", { ip });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("RATE_LIMITED");
    expect(refused.headers.get("retry-after")).toBe("60");
    expect((await api("GET", "/api/health/")).status).toBe(200);
  });

  it("takes no body and no other method", async () => {
    expect((await api("POST", "/api/health/", { body: {} })).status).toBe(404);
    expect((await api("GET", "/api/health/?x=%07")).status).toBe(400);
  });
});

describe("operators' routes", () => {
  it("do not exist without OPERATOR_TOKEN", async () => {
    const res = await api("GET", "/api/ops/rooms/abcdefgh/log/", { headers: { Authorization: "Bearer anything" } });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("NOT_FOUND");
  });
});
