// Tests run inside workerd (@cloudflare/vitest-plugin) against the local stack
// that test/global-setup.ts starts: real Postgres (DATABASE_URL) or PGlite,
// and real Redis (REDIS_URL) or the embedded engine, behind the same
// Neon and Upstash stand-ins that `npm run dev` uses.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import type { StackBindings } from "./dev/stack.ts";
import { TEST_JWT_SECRET, TEST_WEBHOOK_SECRET } from "./test/support/test-secret.ts";
import { standInVars } from "./dev/stripe-stand-in.ts";

/** A project of suites inside workerd, against the local stack, with these bindings over the defaults. */
const workerProject = (
  name: string,
  include: string[],
  exclude: string[],
  bindings: Record<string, string> | ((stripeApiBase: string) => Record<string, string>) = {},
) => ({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ...inject<StackBindings>("stack"),
          JWT_SECRET: TEST_JWT_SECRET,
          // Test payments are development only: a Worker without LOCAL_DEV refuses them (503), which
          // test/node/secrets.test.ts checks on a Worker of its own.
          LOCAL_DEV: "true",
          ALLOW_TEST_PAYMENTS: "true",
          // A pin minute lasts 3 s here: a $1 pin ends after 30 s, long after any test has read it
          // (the tests that watch a pin end move the room's clock, less far than the idle sweep's 300 s).
          PIN_SECONDS_PER_MINUTE: "3",
          // Each metrics data point is also a log line here (test/metrics.test.ts reads them).
          METRICS_LOG: "true",
          // Send limits have their own project (below); here they stay out of the way.
          SEND_BURST: "100000",
          SEND_PER_SECOND: "100000",
          FRAME_BURST: "100000",
          FRAME_PER_SECOND: "100000",
          ALLOWED_ORIGINS: "https://chat.example, https://app.chat.example",
          // The fuzz tests' seed: fixed in CI so a run can be replayed, random locally.
          FUZZ_SEED: process.env.FUZZ_SEED ?? (process.env.CI ? "20261124" : String(Math.floor(Math.random() * 2 ** 31))),
          STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
          // Small limits keep the rate-limit tests quick; every other call comes from its own address.
          RATE_LIMIT_REGISTER: "5/1 m",
          RATE_LIMIT_LOGIN: "5/1 m",
          RATE_LIMIT_JOIN: "10/1 m",
          RATE_LIMIT_CREATE_ROOM: "1000/1 m",
          // Wrong access codes: 3 per address, 30 per room (×10) in ten minutes.
          RATE_LIMIT_ACCESS_CODE: "3/10 m",
          RATE_LIMIT_LOOKUP: "30/1 m",
          RATE_LIMIT_ACCOUNT_DATA: "6/1 m",
          // Reconnects have their own test (limits project); here tests reconnect as often as they like.
          CONNECTS_PER_MINUTE: "100000",
          CONNECTS_PER_MINUTE_PER_IP: "100000",
          ...(typeof bindings === "function" ? bindings(inject("stripeApiBase")) : bindings),
        },
      },
    })),
  ],
  test: {
    name,
    include,
    exclude,
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One file at a time: the fault tests take the shared stand-ins down.
    fileParallelism: false,
    // The Worker logs one JSON line per event; keep them out of the report
    // (they are still printed when DEBUG_LOGS is set).
    onConsoleLog: (log: string) => (process.env.DEBUG_LOGS || !log.startsWith('{"event"') ? undefined : false),
  },
});

// The public API inside workerd, against the local stack: one file per behaviour.
const worker = workerProject("worker", ["test/**/*.test.ts"], ["test/node/**", "test/limits/**", "test/stripe/**", "test/relays/**", "test/unit/**"]);

// Big rooms: relays from the second socket on, over two relays; a room holds 10 sockets in all.
const relays = workerProject("relays", ["test/relays/**/*.test.ts"], [], { RELAY_AFTER_SOCKETS: "1", RELAY_COUNT: "2", MAX_SOCKETS_PER_ROOM: "10" });

// Send limits and socket caps with small values of their own.
const limits = workerProject("limits", ["test/limits/**/*.test.ts"], [], {
  SEND_BURST: "5",
  SEND_PER_SECOND: "2",
  MAX_SOCKETS_PER_IP: "3",
  MAX_SOCKETS_PER_ROOM: "100",
  MAX_UNFLUSHED_MESSAGES: "8",
  REACTION_BURST: "3",
  REACTION_PER_SECOND: "1",
  MESSAGE_CACHE_MAX_COUNT: "10",
  MESSAGE_CACHE_MAX_BYTES: "6000",
  ROOMS_PER_ACCOUNT: "3",
  RATE_LIMIT_CREATE_ROOM: "5/1 m",
  ANON_JOINS_PER_ROOM_PER_MINUTE: "8",
  MAX_SOCKETS_PER_PARTICIPANT: "3",
  SOCKET_IDLE_SECONDS: "30",
  FRAME_BURST: "30",
  FRAME_PER_SECOND: "10",
  CONNECTS_PER_MINUTE: "6",
  CONNECTS_PER_MINUTE_PER_IP: "10",
  RESUME_MAX_BYTES: "20000",
  LOG_RETAIN_ROWS: "20",
});

// The send guarantees (test/send-guarantees/, which the worker project runs too) again with the
// strict commit: the room waits for Postgres before it broadcasts.
const strict = workerProject("strict", ["test/send-guarantees/**/*.test.ts"], [], { SEND_COMMIT: "postgres" });

// Pure rules, in plain Node without the stack: src/**/*.test.ts beside the rules, and test/unit/.
const unit = {
  test: {
    name: "unit",
    include: ["src/**/*.test.ts", "test/unit/**/*.test.ts"],
    environment: "node",
  },
};

// Payments through the real Stripe provider (the stripe SDK) against the local Stripe stand-in.
const stripe = workerProject("stripe", ["test/stripe/**/*.test.ts"], [], (stripeApiBase) => ({
  ...standInVars(stripeApiBase),
  ALLOW_TEST_PAYMENTS: "",
}));

// Node-side tests: the operator CLIs (as child processes against the Worker in
// wrangler dev), the browser test, the client package and the import directions.
const node = {
  test: {
    name: "node",
    include: ["test/node/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
};

export default defineConfig({ test: { projects: [unit, worker, strict, limits, stripe, relays, node] } });
