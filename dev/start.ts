// `npm run dev`: starts the local stack, then the Worker with `wrangler dev`.
//   PORT          HTTP port of the Worker (default 8787)
//   DATABASE_URL  a real Postgres; otherwise embedded PGlite, kept in .data/pglite
//   REDIS_URL     a real Redis; otherwise the embedded in-memory engine
//   JWT_SECRET    signing secret (a fixed dev-only value otherwise)
// Ctrl-C stops everything it started.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startStack } from "./stack.ts";

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
  log: (line) => console.log(`[dev] ${line}`),
}).catch((e: Error) => {
  console.error(`[dev] could not start the local stack: ${e.message}`);
  console.error("[dev] check DATABASE_URL / REDIS_URL, or unset them to use the embedded engines.");
  process.exit(1);
});

const vars: Record<string, string> = {
  ...stack.bindings,
  JWT_SECRET: process.env.JWT_SECRET || "dev-only-secret-do-not-use-in-production",
};
const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"];
for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);

console.log(`[dev] Postgres: ${stack.postgres}`);
console.log(`[dev] Redis:    ${stack.redis}`);
console.log(`[dev] starting the Worker (wrangler dev)…`);

let stopping = false;
const wrangler = spawn(`${root}/node_modules/.bin/wrangler`, args, { cwd: root, stdio: "inherit", env: process.env });
// Say where to go once the Worker answers (wrangler prints its own line earlier, before it is ready).
const announce = (async () => {
  for (let tries = 0; tries < 240 && !stopping; tries++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) {
        console.log(`\n[dev] ChatPop Edge is ready at http://127.0.0.1:${port}/  (WebSocket: ws://127.0.0.1:${port}/ws/chat/{code}/)`);
        console.log("[dev] Ctrl-C stops the Worker, the stand-ins and the embedded databases.\n");
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
})();

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null) {
    wrangler.kill("SIGINT");
    await new Promise((r) => wrangler.once("exit", r));
  }
  await stack.stop();
  console.log("[dev] stopped.");
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
