// Applies the committed drizzle/ migrations with node-postgres (drizzle-kit's
// preferred driver); already-applied ones are skipped by drizzle's journal table.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../drizzle", import.meta.url));

async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function applyMigrations(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, (client) => migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR }));
}

/** The tags of the committed migrations the database has not applied yet, oldest first. */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_DIR}/meta/_journal.json`, "utf8")) as { entries: { tag: string; when: number }[] };
  const applied = await withClient(databaseUrl, async (client) => {
    const exists = await client.query(`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
    if (!exists.rows[0].ok) return 0;
    const res = await client.query(`select coalesce(max(created_at), 0)::text as latest from drizzle.__drizzle_migrations`);
    return Number(res.rows[0].latest);
  });
  return journal.entries.filter((e) => e.when > applied).map((e) => e.tag);
}
