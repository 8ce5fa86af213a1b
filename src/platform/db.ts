// Postgres through Neon's serverless driver (Postgres over a WebSocket) and drizzle.
import { Client, Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { DrizzleQueryError } from "drizzle-orm";
import * as schema from "./schema";

export type Db = NeonDatabase<typeof schema>;

let configuredFor: string | undefined;

/**
 * Points the driver at the local WebSocket→TCP proxy when NEON_WS_PROXY is set
 * (dev and tests only); production leaves Neon's defaults (TLS to Neon's proxy).
 */
export function configureNeon(env: { NEON_WS_PROXY?: string }): void {
  if (!env.NEON_WS_PROXY || configuredFor === env.NEON_WS_PROXY) return;
  neonConfig.wsProxy = env.NEON_WS_PROXY;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
  configuredFor = env.NEON_WS_PROXY;
}

/** A pool for one HTTP request: Workers cannot share sockets between requests. */
export function requestDb(env: { DATABASE_URL: string; NEON_WS_PROXY?: string }): { db: Db; close(): Promise<void> } {
  configureNeon(env);
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 4 });
  pool.on("error", () => {}); // a dropped idle connection surfaces on the next query instead
  return { db: drizzle({ client: pool, schema }), close: () => pool.end() };
}

/** A single long-lived connection, for the room's Durable Object. */
export async function connectClient(env: { DATABASE_URL: string; NEON_WS_PROXY?: string }): Promise<{
  db: Db;
  client: Client;
}> {
  configureNeon(env);
  const client = new Client(env.DATABASE_URL);
  await client.connect();
  return { db: drizzle({ client, schema }), client };
}

/** The Postgres SQLSTATE of a failed query, looking through drizzle's wrapper. */
export function pgErrorCode(err: unknown): string | undefined {
  const inner = err instanceof DrizzleQueryError ? err.cause : err;
  const code = (inner as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The name of the constraint a failed query broke, when Postgres says. */
export function pgErrorConstraint(err: unknown): string | undefined {
  const inner = err instanceof DrizzleQueryError ? err.cause : err;
  const name = (inner as { constraint?: unknown } | undefined)?.constraint;
  return typeof name === "string" ? name : undefined;
}

export const isUniqueViolation = (err: unknown) => pgErrorCode(err) === "23505";

/**
 * True when the error says the database could not be reached or the
 * connection broke (rather than Postgres refusing the query).
 */
export function isDbUnavailable(err: unknown): boolean {
  const code = pgErrorCode(err);
  if (code) return code.startsWith("08") || code.startsWith("57P") || code === "53300";
  const inner = err instanceof DrizzleQueryError ? err.cause : err;
  if (inner instanceof Error && inner.name === "ApiError") return false;
  const text = String((inner as Error | undefined)?.message ?? inner ?? "");
  return /connect|connection|socket|websocket|terminated|ECONN|closed|timeout/i.test(text) || inner instanceof Event;
}
