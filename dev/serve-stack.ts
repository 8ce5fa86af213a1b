// Runs the local stack in its own Node process (PGlite and the stand-ins stay
// out of the test runner's module graph) and reports its addresses as one line:
//   STACK_READY {"bindings":…,"postgres":…,"redis":…}
// It stops on SIGINT/SIGTERM or when its parent closes stdin.
import { startStack } from "./stack.ts";

const stack = await startStack({
  databaseUrl: process.env.DATABASE_URL || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
  pgliteDir: process.env.PGLITE_DIR || undefined,
  stripeWebhookUrl: process.env.STRIPE_STAND_IN_WEBHOOK_URL || undefined,
  log: (line) => console.error(`[stack] ${line}`),
});
console.log(`STACK_READY ${JSON.stringify({ bindings: stack.bindings, postgres: stack.postgres, redis: stack.redis, stripeApiBase: stack.stripeApiBase })}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
