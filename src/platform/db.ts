// Postgres through Neon's serverless driver and drizzle, two ways:
// - Neon's HTTP SQL endpoint (`neon()` + drizzle's neon-http), for REST and for
//   the rooms' flushes: a query is one HTTPS round trip with no connection to
//   open first, and several writes go as one batch (one round trip, one
//   transaction);
// - a WebSocket `Client` (Postgres over a WebSocket), opened by a room for one
//   interactive transaction and closed after (room-db.ts).
import { Client, neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { drizzle as drizzleHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { DrizzleQueryError } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema";

/** What the query modules take: either driver (they use the query builder, not driver specifics). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A REST request's database: Neon's HTTP endpoint, with batches for multi-statement writes. */
export type HttpDb = NeonHttpDatabase<typeof schema>;
/** A connection a room opens for one interactive transaction (room-db.ts). */
export type RoomConn = NeonDatabase<typeof schema>;

let configuredFor: string | undefined;

/**
 * Points the driver at the local stand-in when NEON_WS_PROXY is set (dev and
 * tests only): its WebSocket proxy and its HTTP SQL endpoint. Production
 * leaves Neon's defaults (TLS to Neon's proxy, https://<host>/sql).
 */
export function configureNeon(env: { NEON_WS_PROXY?: string }): void {
  if (!env.NEON_WS_PROXY || configuredFor === env.NEON_WS_PROXY) return;
  neonConfig.wsProxy = env.NEON_WS_PROXY;
  neonConfig.fetchEndpoint = `http://${env.NEON_WS_PROXY.replace(/\/v2$/, "")}/sql`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
  configuredFor = env.NEON_WS_PROXY;
}

/** The database of one REST request: stateless HTTP, so nothing to open or close. */
export function requestDb(env: { DATABASE_URL: string; NEON_WS_PROXY?: string }): HttpDb {
  configureNeon(env);
  return drizzleHttp({ client: neon(env.DATABASE_URL), schema });
}

/** A connection for one interactive transaction (the caller closes it: an open one keeps a room awake). */
export async function connectClient(env: { DATABASE_URL: string; NEON_WS_PROXY?: string }): Promise<{
  db: RoomConn;
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
  // Neon's HTTP endpoint: a failure without a SQLSTATE is the endpoint or the network, not the query.
  if (inner instanceof Error && inner.name === "NeonDbError") return true;
  const text = String((inner as Error | undefined)?.message ?? inner ?? "");
  return /connect|connection|socket|websocket|terminated|ECONN|closed|timeout/i.test(text) || inner instanceof Event;
}
