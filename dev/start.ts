// `npm run dev`: starts the local stack, then the Worker with `wrangler dev`.
//   PORT          HTTP port of the Worker (default 8787)
//   DATABASE_URL  a real Postgres; otherwise embedded PGlite, kept in .data/pglite
//   REDIS_URL     a real Redis; otherwise the embedded in-memory engine
//   JWT_SECRET    signing secret (a fixed dev-only value otherwise)
//   STRIPE=local  payments through the real Stripe provider against the local Stripe stand-in
//                 (dev/stripe-stand-in.ts: pay, fail or refund with its /__admin commands)
// Ctrl-C stops everything it started.
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startStack } from "./stack.ts";
import { startWranglerDev } from "./wrangler-dev.ts";
import { standInVars } from "./stripe-stand-in.ts";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const port = Number(process.env.PORT || 8787);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}".`);
  process.exit(2);
}

const stack = await startStack({
  databaseUrl: process.env.DATABASE_URL || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
  pgliteDir: `${root}/.data/pglite`,
  stripeWebhookUrl: `http://127.0.0.1:${port}/api/payments/webhook/`,
  log: (line) => console.log(`[dev] ${line}`),
}).catch((e: Error) => {
  console.error(`[dev] could not start the local stack: ${e.message}`);
  console.error("[dev] check DATABASE_URL / REDIS_URL, or unset them to use the embedded engines.");
  process.exit(1);
});

const localStripe = process.env.STRIPE === "local";
const vars: Record<string, string> = {
  ...stack.bindings,
  JWT_SECRET: process.env.JWT_SECRET || "dev-only-secret-do-not-use-in-production",
  // Payments: the real Stripe provider against the local stand-in (STRIPE=local), real Stripe test
  // keys when given, else the test provider (completes at once).
  ...(localStripe
    ? standInVars(stack.stripeApiBase)
    : {
        ...(process.env.STRIPE_SECRET_KEY ? { STRIPE_SECRET_KEY: process.env.STRIPE_SECRET_KEY } : { ALLOW_TEST_PAYMENTS: "true" }),
        STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET || "whsec_dev_only_do_not_use_in_production",
      }),
  // This is a developer's machine: the development secrets above are allowed (a deploy never sets this).
  LOCAL_DEV: "true",
  // The operators' routes (inspect-redis --compare reads a room's log through them): a fresh token per run.
  OPERATOR_TOKEN: process.env.OPERATOR_TOKEN || randomBytes(32).toString("base64url"),
  // Another front end on this machine (the original ChatPop web client at http://localhost:4000, say).
  ...(process.env.ALLOWED_ORIGINS ? { ALLOWED_ORIGINS: process.env.ALLOWED_ORIGINS } : {}),
};
// The operator CLIs (npm run inspect-redis, cache:rebuild) find the local stack here while it runs.
const stackFile = `${root}/.data/dev-stack.json`;
mkdirSync(`${root}/.data`, { recursive: true });
const { DATABASE_URL, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN } = stack.bindings;
writeFileSync(
  stackFile,
  JSON.stringify({ DATABASE_URL, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN, CHATPOP_URL: `http://127.0.0.1:${port}`, OPERATOR_TOKEN: vars.OPERATOR_TOKEN }, null, 2),
  { mode: 0o600 },
);

console.log(`[dev] Postgres: ${stack.postgres}`);
console.log(`[dev] Redis:    ${stack.redis}`);
if (localStripe) console.log(`[dev] Stripe:   the local stand-in at ${stack.stripeApiBase} (webhooks to this Worker)`);
console.log(`[dev] starting the Worker (wrangler dev)…`);

let stopping = false;
const worker = startWranglerDev({ port, vars });
const wrangler = worker.child;
// Say where to go once the Worker answers (wrangler prints its own line earlier, before it is ready).
worker.ready.then(
  () => {
    console.log(`\n[dev] ChatPop Edge is ready at ${worker.url}/  (WebSocket: ws://127.0.0.1:${port}/ws/chat/{code}/)`);
    console.log("[dev] Ctrl-C stops the Worker, the stand-ins and the embedded databases.\n");
  },
  () => {},
);

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await worker.stop();
  await stack.stop();
  rmSync(stackFile, { force: true });
  console.log("[dev] stopped.");
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
