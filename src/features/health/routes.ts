// GET /api/health: for load balancers, uptime checks and `npm run deploy`'s
// last step. 200 when every dependency answers, 503 naming the failing ones.
// It answers even when the secrets are unsafe (the app's guard refuses every
// other request then), so a deploy can tell that apart from an outage.
import { Hono } from "hono";
import { z } from "zod";
import { documented } from "../../platform/http/openapi";
import type { AppEnv } from "../../platform/http/context";
import { requireClientIp } from "../../platform/http/client-ip";
import { ApiError } from "../../platform/errors";
import { health } from "./checks";

/** Calls per address and minute; the checks themselves run at most once per few seconds whatever the callers. */
export const HEALTH_PER_MINUTE = 60;

const check = z.object({ ok: z.boolean(), detail: z.string().optional(), ms: z.number().optional() }).catchall(z.unknown());
const healthAnswer = z
  .object({
    status: z.enum(["ok", "failing"]),
    failing: z.array(z.enum(["postgres", "redis", "payments", "secrets"])).describe("The checks that failed; empty when healthy."),
    checked_at: z.string().describe("When the checks ran (answers are cached for a few seconds)."),
    checks: z.object({
      postgres: check.describe("Reachable, and migrated at least to `expected` (its `schema` is the newest migration applied)."),
      redis: check.describe("Answers PING."),
      payments: check.describe("A payment provider is configured (`provider`)."),
      secrets: check.describe("JWT_SECRET and STRIPE_WEBHOOK_SECRET are set and strong; no development-only setting."),
    }),
  })
  .meta({ id: "Health" });

// Per isolate: enough to keep one address from making this a cheap amplifier; no Redis call of its own.
const calls = new Map<string, { minute: number; count: number }>();

function withinBudget(address: string, now = Date.now()): boolean {
  const minute = Math.floor(now / 60_000);
  const seen = calls.get(address);
  if (!seen || seen.minute !== minute) {
    if (calls.size > 10_000) calls.clear();
    calls.set(address, { minute, count: 1 });
    return true;
  }
  return ++seen.count <= HEALTH_PER_MINUTE;
}

export const healthRoutes = new Hono<AppEnv>().get(
  "/",
  documented({
    summary: "Whether the service and what it depends on are healthy",
    tags: ["service"],
    answers: {
      200: { description: "Every check passed", schema: healthAnswer },
      429: { description: `More than ${HEALTH_PER_MINUTE} calls a minute from this address` },
      503: { description: "At least one check failed: `failing` names them, each check's `detail` says what to do", schema: healthAnswer },
    },
  }),
  async (c) => {
    if (!withinBudget(requireClientIp(c))) {
      throw new ApiError(429, "RATE_LIMITED", `At most ${HEALTH_PER_MINUTE} health checks a minute from one address; try again in a minute.`, undefined, { "Retry-After": "60" });
    }
    const report = await health(c.env, c.var.db);
    c.header("Cache-Control", "no-store");
    return c.json(report, report.status === "ok" ? 200 : 503);
  },
);
