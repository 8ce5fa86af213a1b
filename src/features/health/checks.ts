// What GET /api/health reports: whether each thing the service needs answers,
// checked at most once per HEALTH_CACHE_MS per isolate (a load balancer that
// polls every second from many places costs one Postgres and one Redis call
// per isolate and interval, however many callers there are).
import { sql } from "drizzle-orm";
import { EXPECTED_SCHEMA, migrationAt } from "../../platform/schema-version";
import { pgErrorCode, type HttpDb } from "../../platform/db";
import { redisClient } from "../../platform/redis";
import { secretsProblem } from "../../domain/secrets";
import { paymentProvider } from "../payments/provider";
import { errorText, logEvent } from "../../platform/log";

export const HEALTH_CACHE_MS = 5_000;
/** A dependency that has not answered by then counts as failing: a health check must not hang its caller. */
export const CHECK_TIMEOUT_MS = 3_000;

export interface Check {
  ok: boolean;
  /** What to do about it, when it fails: names only, never a secret or a connection string. */
  detail?: string;
  ms?: number;
  [extra: string]: unknown;
}

export interface HealthReport {
  status: "ok" | "failing";
  failing: string[];
  checked_at: string;
  checks: { postgres: Check; redis: Check; payments: Check; secrets: Check };
}

async function timed(fn: () => Promise<Check>): Promise<Check> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    return { ...(await Promise.race([fn(), timeout])), ms: Date.now() - started };
  } catch (e) {
    return { ok: false, detail: `unreachable: ${errorText(e)}`, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** Postgres answers, and has every migration this code needs (drizzle's journal table in schema "drizzle"). */
async function postgres(db: HttpDb): Promise<Check> {
  let applied: number | null;
  try {
    const rows = await db.execute<{ latest: string | null }>(sql`select max(created_at)::text as latest from drizzle.__drizzle_migrations`);
    applied = rows.rows[0]?.latest ? Number(rows.rows[0].latest) : null;
  } catch (e) {
    // 42P01: no journal table, so no migration was ever applied to this database.
    if (pgErrorCode(e) === "42P01") applied = null;
    else throw e;
  }
  const expected = EXPECTED_SCHEMA.tag;
  if (applied === null) return { ok: false, schema: null, expected, detail: "no migrations applied: run `npm run db:migrate` with DATABASE_URL_DIRECT" };
  const current = migrationAt(applied)?.tag ?? "unknown";
  if (applied < EXPECTED_SCHEMA.when) {
    return { ok: false, schema: current, expected, detail: `the database is behind this code: run \`npm run db:migrate\` (up to ${expected})` };
  }
  // Ahead is fine: migrations are applied before the code that needs them (expand first).
  return { ok: true, schema: applied > EXPECTED_SCHEMA.when ? "newer than this code" : current, expected };
}

async function redis(env: Env): Promise<Check> {
  const answer = await redisClient(env).ping();
  return answer === "PONG" ? { ok: true } : { ok: false, detail: "Redis answered PING with something else" };
}

function payments(env: Env): Check {
  const provider = paymentProvider(env)?.name ?? null;
  return provider ? { ok: true, provider } : { ok: false, provider: null, detail: "no STRIPE_SECRET_KEY: set it with `wrangler secret put STRIPE_SECRET_KEY`" };
}

function secrets(env: Env): Check {
  const problem = secretsProblem(env);
  if (problem === null) return { ok: true };
  // Which settings, not why: the reasons stay in the log (secrets_unsafe), this answer is public.
  const names = [...new Set(problem.match(/\b[A-Z][A-Z_]{4,}\b/g) ?? [])].join(", ");
  return { ok: false, detail: `${names}: see the log (secrets_unsafe) for what to change` };
}

async function check(env: Env, db: HttpDb): Promise<HealthReport> {
  const [pg, rd] = await Promise.all([timed(() => postgres(db)), timed(() => redis(env))]);
  const checks = { postgres: pg, redis: rd, payments: payments(env), secrets: secrets(env) };
  const failing = Object.entries(checks)
    .filter(([, c]) => !c.ok)
    .map(([name]) => name);
  if (failing.length > 0) logEvent("health_failing", { failing: failing.join(",") });
  return { status: failing.length === 0 ? "ok" : "failing", failing, checked_at: new Date().toISOString(), checks };
}

let cached: { at: number; report: Promise<HealthReport> } | null = null;

/** The report of the last HEALTH_CACHE_MS, or a new one (one check at a time per isolate, whoever asks). */
export function health(env: Env, db: () => HttpDb, now = Date.now()): Promise<HealthReport> {
  if (cached && now - cached.at < HEALTH_CACHE_MS) return cached.report;
  cached = { at: now, report: check(env, db()) };
  return cached.report;
}
