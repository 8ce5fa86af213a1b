// `npm run deploy`: the whole way from a checkout to a healthy Worker, stopping
// at the first step that fails and saying what to do:
//   1. secrets: every secret the Worker needs is set (names from `wrangler secret list`);
//   2. migrations: drizzle/ applied to DATABASE_URL_DIRECT (Neon's direct URL: the pooled one
//      cannot run a migration's DDL in a transaction safely, and the Worker keeps the pooled one);
//   3. build: the web app, as the deploy serves it;
//   4. deploy: `wrangler deploy`;
//   5. health: GET /api/health/ on the deployed URL until it is 200 (or fail, naming the checks).
// Migrations run before the new code goes out: each release's migrations only add (expand),
// and whatever the old code still reads is dropped a release later (contract).
//
// `--rehearse` runs every step without touching Cloudflare: the secrets come from this
// process's environment (and their values are checked as the Worker checks them), the deploy
// is `wrangler deploy --dry-run`, and the health check goes to `--url` (a local `npm run dev`).
// `.ci/run` rehearses on every run.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { applyMigrations, pendingMigrations } from "./migrate.ts";
import { secretsProblem } from "../src/domain/secrets.ts";
import { REQUIRED_SECRETS, secretNamesOf } from "./deploy-secrets.ts";


const root = fileURLToPath(new URL("..", import.meta.url));
const USAGE =
  "usage: npm run deploy [-- --url https://your.domain] [--rehearse --url http://127.0.0.1:8787] [--skip-migrations] [--health-wait SECONDS]";

class DeployError extends Error {}

const STEPS = ["secrets", "migrations", "build", "deploy", "health"] as const;
const say = (line: string) => console.log(`[deploy] ${line}`);
const step = (name: (typeof STEPS)[number], what: string) => say(`${STEPS.indexOf(name) + 1}/${STEPS.length} ${name}: ${what}`);

/** Runs a command with its output shown (and kept, for the deployed URL). */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
      output += chunk.toString();
      to.write(chunk);
    };
    child.stdout.on("data", (c: Buffer) => keep(c, process.stdout));
    child.stderr.on("data", (c: Buffer) => keep(c, process.stderr));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new DeployError(`\`${command} ${args.join(" ")}\` exited with ${code}.`))));
  });
}

const wrangler = (args: string[]) => run(join(root, "node_modules/.bin/wrangler"), args);

/** Names of the secrets the deployed Worker has (or, rehearsing, this process's environment has). */
async function secretNames(rehearse: boolean): Promise<Set<string>> {
  if (rehearse) return new Set(REQUIRED_SECRETS.filter((name) => process.env[name]));
  let listed: string;
  try {
    listed = await wrangler(["secret", "list", "--format", "json"]);
  } catch {
    throw new DeployError(
      "Could not list the Worker's secrets (see wrangler's message above). Log in with `npx wrangler login`; " +
        "on a first deploy, set each secret first (`npx wrangler secret put NAME` creates the Worker).",
    );
  }
  const names = secretNamesOf(listed);
  if (names === null) throw new DeployError("Could not read `wrangler secret list --format json`'s answer (shown above); check with `npx wrangler secret list`.");
  return new Set(names);
}

async function checkSecrets(rehearse: boolean): Promise<void> {
  step("secrets", rehearse ? "from this environment (rehearsal)" : "from `wrangler secret list`");
  const have = await secretNames(rehearse);
  const missing = REQUIRED_SECRETS.filter((name) => !have.has(name));
  if (missing.length > 0) {
    throw new DeployError(
      `Missing secrets: ${missing.join(", ")}. Nothing was deployed. Set each with:\n` +
        missing.map((name) => `  npx wrangler secret put ${name}`).join("\n") +
        "\n(STRIPE_WEBHOOK_SECRET exists only once the Stripe endpoint does: put 48 random bytes first, " +
        "`openssl rand -base64 48 | npx wrangler secret put STRIPE_WEBHOOK_SECRET`, and the real one after; README, Deploying.)",
    );
  }
  // Only a rehearsal can see values; a deploy's are checked by the Worker itself (GET /api/health/, step 5).
  if (rehearse) {
    const problem = secretsProblem({ JWT_SECRET: process.env.JWT_SECRET, STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET });
    if (problem) throw new DeployError(`Unsafe secrets: ${problem}.`);
  }
  say(`   all ${REQUIRED_SECRETS.length} set`);
}

async function migrate(): Promise<void> {
  const url = process.env.DATABASE_URL_DIRECT;
  if (!url) {
    throw new DeployError(
      "DATABASE_URL_DIRECT is not set: give the direct (unpooled) connection string of the database, " +
        "e.g. `DATABASE_URL_DIRECT='postgres://…@ep-….neon.tech/neondb?sslmode=require' npm run deploy` " +
        "(Neon's dashboard, Connect, with \"Connection pooling\" off), or pass --skip-migrations.",
    );
  }
  if (new URL(url).hostname.includes("-pooler.")) {
    throw new DeployError("DATABASE_URL_DIRECT points at Neon's pooler (a host with -pooler): use the direct host for migrations.");
  }
  const host = new URL(url).host;
  step("migrations", `drizzle/ → ${host}`);
  const pending = await pendingMigrations(url);
  if (pending.length === 0) {
    say("   none pending");
    return;
  }
  say(`   applying ${pending.length}: ${pending.join(", ")}`);
  await applyMigrations(url);
  say("   applied");
}

/**
 * Builds the web app as a deploy serves it: into .web/ ([assets] in wrangler.toml), or, rehearsing,
 * into a folder of its own, so a rehearsal never swaps the development build under `npm run dev`
 * and the tests (which use its test hooks). Answers where it went.
 */
async function build(rehearse: boolean): Promise<string | null> {
  const out = rehearse ? mkdtempSync(join(tmpdir(), "chatpop-web-")) : null;
  step("build", `the web app (node dev/build-web.ts --production${out ? ` --out ${out}` : ""})`);
  await run(process.execPath, [join(root, "dev/build-web.ts"), "--production", ...(out ? ["--out", out] : [])]);
  return out;
}

/** Deploys (or, rehearsing, bundles without uploading) and answers the URL wrangler printed. */
async function deploy(assets: string | null): Promise<string | null> {
  if (assets) {
    const outdir = mkdtempSync(join(tmpdir(), "chatpop-deploy-"));
    step("deploy", `wrangler deploy --dry-run --outdir ${outdir} --assets ${assets}`);
    await wrangler(["deploy", "--dry-run", "--outdir", outdir, "--assets", assets]);
    return null;
  }
  step("deploy", "wrangler deploy");
  const output = await wrangler(["deploy"]);
  return output.match(/https:\/\/[^\s]+\.workers\.dev/)?.[0] ?? null;
}

interface Health {
  status: string;
  failing: string[];
  checks: Record<string, { ok: boolean; detail?: string }>;
}

async function checkHealth(base: string, waitSeconds: number): Promise<void> {
  const url = `${base.replace(/\/$/, "")}/api/health/`;
  step("health", `GET ${url}`);
  const deadline = Date.now() + waitSeconds * 1000;
  let last = "no answer";
  for (;;) {
    try {
      const res = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as Health;
      if (res.status === 200 && body.status === "ok") {
        say("   healthy: " + Object.keys(body.checks).join(", ") + " ok");
        return;
      }
      last = `${res.status}: ` + (body.failing ?? []).map((name) => `${name} (${body.checks[name]?.detail ?? "failing"})`).join("; ");
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() + 5_000 > deadline) break;
    say(`   not healthy yet (${last}); asking again in 5 s`);
    await new Promise((r) => setTimeout(r, 5_000));
  }
  throw new DeployError(`The deployed Worker is not healthy after ${waitSeconds} s: ${last}. Fix what it names, then run npm run deploy again.`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rehearse: { type: "boolean", default: false },
      url: { type: "string" },
      "skip-migrations": { type: "boolean", default: false },
      // A new version reaches every location within seconds; until then an old one may answer.
      "health-wait": { type: "string", default: "90" },
    },
    strict: true,
  });
  const rehearse = values.rehearse!;
  const healthWait = Number(values["health-wait"]);
  if (!Number.isInteger(healthWait) || healthWait < 0 || healthWait > 3600) throw new DeployError(`--health-wait must be whole seconds from 0 to 3600.\n${USAGE}`);
  if (rehearse && !values.url) throw new DeployError(`--rehearse needs --url of a running Worker (npm run dev) for the health check.\n${USAGE}`);
  await checkSecrets(rehearse);
  if (values["skip-migrations"]) say(`${STEPS.indexOf("migrations") + 1}/${STEPS.length} migrations: skipped (--skip-migrations)`);
  else await migrate();
  const deployed = await deploy(await build(rehearse));
  const base = values.url ?? process.env.DEPLOY_URL ?? deployed;
  if (!base) throw new DeployError("Deployed, but could not tell its URL: run the health check with --url https://your.domain (or set DEPLOY_URL).");
  await checkHealth(base, healthWait);
  say(rehearse ? "rehearsal passed: every step ran, nothing was uploaded" : `deployed and healthy at ${base}`);
}

main().catch((e: unknown) => {
  if (e instanceof DeployError || (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
    console.error(`[deploy] stopped: ${(e as Error).message}`);
    process.exit(e instanceof DeployError ? 1 : 2);
  }
  console.error(`[deploy] stopped by an unexpected error: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
