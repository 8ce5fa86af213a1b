// `npm run deploy -- --rehearse`: every step of the deploy as an operator runs it, with
// `wrangler deploy --dry-run` for the upload and the health check against a running Worker.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import journal from "../../drizzle/meta/_journal.json";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stack, startTestWorker, type TestWorker } from "./worker.ts";
import { secretNamesOf } from "../../dev/deploy-secrets.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let healthy: TestWorker;
let unpaid: TestWorker;

const strong = () => Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64");
/** Every secret the Worker needs, as a rehearsal reads them from its environment. */
const secrets = () => ({
  DATABASE_URL: "postgres://u:p@db.example/neondb",
  UPSTASH_REDIS_REST_URL: "https://example.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "token",
  JWT_SECRET: strong(),
  STRIPE_SECRET_KEY: "sk_test_x",
  STRIPE_WEBHOOK_SECRET: strong(),
  DATABASE_URL_DIRECT: stack.DATABASE_URL,
});

function deploy(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  // The test runner's own DATABASE_URL must not count as a deploy's secret.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in secrets())));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["dev/deploy.ts", ...args],
      { cwd: root, env: { ...clean, ...env } as NodeJS.ProcessEnv, maxBuffer: 32 << 20, encoding: "utf8" },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe("reading `wrangler secret list --format json`", () => {
  it("finds the names after any warning wrangler prints, and says when there is no list", () => {
    const output = '▲ [WARNING] Processing wrangler.toml configuration: something [else]\n\n[\n  {\n    "name": "JWT_SECRET",\n    "type": "secret_text"\n  },\n  { "name": "DATABASE_URL", "type": "secret_text" }\n]\n';
    expect(secretNamesOf(output)).toEqual(["JWT_SECRET", "DATABASE_URL"]);
    expect(secretNamesOf("[]")).toEqual([]);
    expect(secretNamesOf("✘ [ERROR] Not logged in.")).toBeNull();
    expect(secretNamesOf("[ not json")).toBeNull();
    // A log line that starts with "[" before the list does not hide it.
    expect(secretNamesOf('[wrangler] a warning\n[{"name":"JWT_SECRET","type":"secret_text"}]')).toEqual(["JWT_SECRET"]);
  });
});

const steps = (out: string) => [...out.matchAll(/\[deploy\] (\d)\/5 (\w+)/g)].map((m) => m[2]);

beforeAll(async () => {
  // One at a time: two wrangler dev starting together may pick the same free port.
  healthy = await startTestWorker();
  unpaid = await startTestWorker({ LOCAL_DEV: "", ALLOW_TEST_PAYMENTS: "" });
}, 120_000);
afterAll(async () => {
  await Promise.all([healthy?.stop(), unpaid?.stop()]);
});

describe("npm run deploy -- --rehearse", () => {
  it("runs every step (secrets, migrations, build, a dry-run deploy, health) and passes against a healthy Worker", async () => {
    const devBuild = readFileSync(`${root}.web/app.js`, "utf8");
    const run = await deploy(["--rehearse", "--url", healthy.url], secrets());
    expect(run.out).toContain("rehearsal passed");
    // The production build went elsewhere: the development build (with the browser tests' hooks) is untouched.
    expect(readFileSync(`${root}.web/app.js`, "utf8")).toBe(devBuild);
    expect(run.code).toBe(0);
    expect(steps(run.out)).toEqual(["secrets", "migrations", "build", "deploy", "health"]);
    expect(run.out).toContain("--dry-run: exiting now.");
    expect(run.out).toContain("healthy: postgres, redis, payments, secrets ok");
  }, 180_000);

  it("stops before anything else when a secret is missing, naming it with the command that sets it", async () => {
    const { STRIPE_WEBHOOK_SECRET: _, ...rest } = secrets();
    const run = await deploy(["--rehearse", "--url", healthy.url], rest);
    expect(run.code).toBe(1);
    expect(run.out).toContain("Missing secrets: STRIPE_WEBHOOK_SECRET");
    expect(run.out).toContain("npx wrangler secret put STRIPE_WEBHOOK_SECRET");
    expect(steps(run.out)).toEqual(["secrets"]);
  });

  it("refuses a development secret value, a pooled migration URL and a missing direct URL", async () => {
    const dev = await deploy(["--rehearse", "--url", healthy.url], { ...secrets(), JWT_SECRET: "dev-only-secret-do-not-use-in-production" });
    expect(dev.code).toBe(1);
    expect(dev.out).toContain("JWT_SECRET is a development value");
    expect(dev.out).not.toContain("2/5");

    const pooled = await deploy(["--rehearse", "--url", healthy.url], { ...secrets(), DATABASE_URL_DIRECT: "postgres://u:p@ep-x-pooler.us-east-2.aws.neon.tech/db" });
    expect(pooled.code).toBe(1);
    expect(pooled.out).toContain("Neon's pooler");
    expect(steps(pooled.out)).toEqual(["secrets"]);

    const { DATABASE_URL_DIRECT: _, ...noDirect } = secrets();
    const missing = await deploy(["--rehearse", "--url", healthy.url], noDirect);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain("DATABASE_URL_DIRECT is not set");
  });

  it("fails loudly when the deployed Worker is not healthy, naming the failing check", async () => {
    const run = await deploy(["--rehearse", "--url", unpaid.url, "--skip-migrations", "--health-wait", "0"], secrets());
    expect(run.code).toBe(1);
    expect(steps(run.out)).toEqual(["secrets", "migrations", "build", "deploy", "health"]);
    expect(run.out).toContain("2/5 migrations: skipped (--skip-migrations)");
    expect(run.out).toMatch(/not healthy after 0 s: 503: payments \(no STRIPE_SECRET_KEY/);
  }, 180_000);

  // A database of its own needs a real server (PGlite has one database).
  it.skipIf(!process.env.DATABASE_URL)("applies every pending migration to the direct URL, and none the second time", async () => {
    const name = `rehearsal_${crypto.randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const direct = new URL(process.env.DATABASE_URL!);
      direct.pathname = `/${name}`;
      const env = { ...secrets(), DATABASE_URL_DIRECT: direct.toString() };
      const first = await deploy(["--rehearse", "--url", healthy.url], env);
      expect(first.code).toBe(0);
      const tags = journal.entries.map((e) => e.tag);
      expect(first.out).toContain(`applying ${tags.length}: ${tags.join(", ")}`);
      const second = await deploy(["--rehearse", "--url", healthy.url], env);
      expect(second.out).toContain("none pending");
    } finally {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 300_000);
});
