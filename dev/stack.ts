// The local stack shared by `npm run dev`, the tests and the benchmarks:
// Postgres (real or PGlite) + the Neon WebSocket proxy + the Upstash REST
// stand-in (real Redis or the embedded engine), with migrations applied.
import { randomBytes } from "node:crypto";
import { applyMigrations } from "./migrate.ts";
import { startNeonProxy } from "./neon-proxy.ts";
import { startPostgres } from "./postgres.ts";
import { startUpstashServer } from "./upstash-server.ts";
import { startStripeStandIn } from "./stripe-stand-in.ts";

export interface StackOptions {
  databaseUrl?: string;
  redisUrl?: string;
  /** PGlite's folder when no DATABASE_URL is given; omitted means in memory. */
  pgliteDir?: string;
  /** Where the Stripe stand-in delivers its webhooks (the Worker's webhook route), if anywhere. */
  stripeWebhookUrl?: string;
  log?: (line: string) => void;
}

/** The Worker settings that point it at this stack (see wrangler.toml). */
export interface StackBindings {
  DATABASE_URL: string;
  NEON_WS_PROXY: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
}

export interface Stack {
  bindings: StackBindings;
  postgres: string;
  redis: string;
  /** The Stripe stand-in's URL: STRIPE_API_BASE for a Worker that should use it (see dev/stripe-stand-in.ts). */
  stripeApiBase: string;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const closers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  };
  try {
    log(opts.databaseUrl ? "connecting to PostgreSQL…" : "starting embedded PGlite (a few seconds)…");
    const pg = await startPostgres({ databaseUrl: opts.databaseUrl, dataDir: opts.pgliteDir });
    closers.push(pg.close);
    log("applying migrations from drizzle/…");
    await applyMigrations(pg.url);
    const neon = await startNeonProxy();
    closers.push(neon.close);
    const upstash = await startUpstashServer({
      redisUrl: opts.redisUrl,
      token: randomBytes(18).toString("base64url"),
    });
    closers.push(upstash.close);
    const stripe = await startStripeStandIn({ webhookUrl: opts.stripeWebhookUrl });
    closers.push(stripe.close);
    return {
      bindings: {
        DATABASE_URL: pg.url,
        NEON_WS_PROXY: neon.wsProxy,
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
      },
      postgres: pg.describe,
      redis: upstash.engine,
      stripeApiBase: stripe.url,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
