// Postgres for the operator CLIs: node-postgres under drizzle, so the Worker's query
// modules (written for Neon's driver) build the same SQL here.
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../platform/schema";
import type { Db } from "../platform/db";
import { findRoom } from "../features/rooms/queries";
import { CliError, type CliSettings } from "./settings";

/** Runs fn with a small pool on DATABASE_URL, closed after. */
export async function withPostgres<T>(settings: CliSettings, fn: (db: Db) => Promise<T>): Promise<T> {
  if (!settings.databaseUrl) throw new CliError("Set DATABASE_URL to the room's Postgres (the Neon connection string in production).", 2);
  const pool = new pg.Pool({ connectionString: settings.databaseUrl, max: 2 });
  try {
    return await fn(drizzle({ client: pool, schema }) as unknown as Db);
  } finally {
    await pool.end();
  }
}

/** The room's row, or a CliError that says it is not there. */
export async function requireRoomRow(db: Db, chat: string) {
  const room = await findRoom(db, chat).catch((e: unknown) => {
    throw new CliError(`Cannot read Postgres: ${e instanceof Error ? e.message : String(e)}. Check DATABASE_URL.`);
  });
  if (!room) throw new CliError(`No room with code ${chat} in Postgres.`);
  return room;
}
