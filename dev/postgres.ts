// Postgres for the local stack: the server named by DATABASE_URL when there is
// one, otherwise embedded PGlite (real Postgres compiled to WASM) served on a
// loopback TCP port so the Neon proxy and node-postgres can reach it.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { QueryCycleQueue } from "./pglite-cycles.ts";

export interface LocalPostgres {
  url: string;
  describe: string;
  close(): Promise<void>;
}

export async function startPostgres(opts: {
  databaseUrl?: string;
  /** Folder for PGlite's files; omitted means in memory. */
  dataDir?: string;
  port?: number;
}): Promise<LocalPostgres> {
  if (opts.databaseUrl) {
    const u = new URL(opts.databaseUrl);
    return {
      url: opts.databaseUrl,
      describe: `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`,
      async close() {},
    };
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir ?? "memory://");
  // Several connections: the Worker's per-request pools and each room's client.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: opts.port ?? 0, maxConnections: 64 });
  // Keep each connection's query cycle together on PGlite's single backend (see pglite-cycles.ts).
  (server as unknown as { queryQueue: QueryCycleQueue }).queryQueue = new QueryCycleQueue(db);
  await server.start();
  const conn = server.getServerConn(); // "host:port"
  const port = Number(conn.slice(conn.lastIndexOf(":") + 1));
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    describe: `embedded PGlite (${opts.dataDir ?? "in memory"}) on 127.0.0.1:${port}`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
