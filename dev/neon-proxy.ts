// A local stand-in for Neon's two front doors:
// - the WebSocket proxy: the Neon serverless driver speaks the Postgres wire
//   protocol inside WebSocket messages, and this pipe forwards those bytes to
//   a Postgres TCP port (`/v2?address=host:port`);
// - the HTTP SQL endpoint (`POST /sql`) that `neon()` queries: one query, or a
//   batch run in one transaction, per request, answered as Neon answers
//   (raw text values with their type ids; Postgres errors as 400 with fields).
// Only loopback addresses are served, so it cannot be used to reach out. Both
// count round trips (GET /__stats), so tests can hold the Worker to a budget.
import { connect, type Socket } from "node:net";
import { Hono } from "hono";
import { WebSocketServer, type WebSocket } from "ws";
import pg from "pg";
import { Faults, serve } from "./stand-in-server.ts";

export interface NeonProxy {
  /** The value for the Worker's NEON_WS_PROXY setting (host:port/v2). */
  wsProxy: string;
  port: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const TERMINATE = 0x58; // 'X'
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'

/**
 * Follows the client's side of the Postgres protocol just far enough to spot
 * Terminate. Real Postgres hangs up on it; PGlite's socket server does not,
 * and without this every ended connection would stay open until PGlite's
 * connection limit is hit.
 */
export class TerminateWatch {
  /** Messages that end a round trip (Sync closes an extended-protocol query, Query is a simple one). */
  roundTrips = 0;
  private header = Buffer.alloc(0);
  private skip = 0;
  private started = false;

  /** True once the bytes seen so far hold a Terminate message. */
  feed(chunk: Buffer): boolean {
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      // Untyped startup packets: int32 length, int32 code. Then: type byte, int32 length.
      const need = this.started ? 5 : 8;
      const take = Math.min(need - this.header.length, chunk.length - at);
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + take)]);
      at += take;
      if (this.header.length < need) return false;
      if (this.started) {
        if (this.header[0] === TERMINATE) return true;
        if (this.header[0] === SYNC || this.header[0] === QUERY) this.roundTrips++;
        this.skip = this.header.readInt32BE(1) - 4;
      } else {
        const code = this.header.readInt32BE(4);
        this.skip = this.header.readInt32BE(0) - 8;
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.started = true;
      }
      this.header = Buffer.alloc(0);
    }
    return false;
  }
}

function pipe(ws: WebSocket, host: string, port: number, latency: { ms: number }, stats: Stats) {
  const tcp: Socket = connect({ host: host.replace(/^\[|\]$/g, ""), port });
  tcp.setNoDelay(true);
  const pending: Buffer[] = [];
  const watch = new TerminateWatch();
  let open = false;
  let ending = false;
  tcp.on("connect", () => {
    open = true;
    for (const chunk of pending.splice(0)) tcp.write(chunk);
    if (ending) tcp.end();
  });
  ws.on("message", (data: Buffer) => {
    if (ending) return;
    const before = watch.roundTrips;
    ending = watch.feed(data);
    stats.ws_round_trips += watch.roundTrips - before;
    if (!open) return void pending.push(data);
    tcp.write(data);
    if (ending) tcp.end();
  });
  const reply = (chunk: Buffer) => ws.readyState === ws.OPEN && ws.send(chunk);
  // Equal delays keep their order: timers of the same length fire first in, first out.
  tcp.on("data", (chunk) => (latency.ms > 0 ? setTimeout(() => reply(chunk), latency.ms) : reply(chunk)));
  tcp.on("error", () => ws.close(1011, "upstream error"));
  tcp.on("close", () => ws.readyState <= ws.OPEN && ws.close());
  ws.on("close", () => tcp.destroy());
  ws.on("error", () => tcp.destroy());
}

interface Stats {
  opened: number;
  open: number;
  /** Queries sent over WebSocket connections (each waits for its answer: one round trip). */
  ws_round_trips: number;
  /** HTTP SQL requests (one round trip each, however many queries a batch holds). */
  http_requests: number;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Neon's HTTP answer for one query: rows as arrays of raw text, fields with their type ids. */
function neonResult(r: pg.QueryResult<unknown[]>) {
  return {
    command: r.command,
    rowCount: r.rowCount,
    rows: r.rows,
    rowAsArray: true,
    fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID, tableID: f.tableID, columnID: f.columnID, dataTypeSize: f.dataTypeSize, dataTypeModifier: f.dataTypeModifier, format: "text" })),
  };
}

const ERROR_FIELDS = ["severity", "code", "detail", "hint", "position", "where", "schema", "table", "column", "dataType", "constraint", "routine"] as const;

/** Runs `POST /sql` bodies against Postgres with a pool per connection string. */
class HttpSql {
  private pools = new Map<string, pg.Pool>();

  private pool(connectionString: string): pg.Pool {
    const url = new URL(connectionString);
    if (!LOOPBACK_HOSTS.has(url.hostname)) throw Object.assign(new Error("only loopback Postgres addresses are served"), { status: 400 });
    url.searchParams.delete("application_name");
    const key = url.toString();
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new pg.Pool({ connectionString: key, max: 8 });
      pool.on("error", () => {});
      this.pools.set(key, pool);
    }
    return pool;
  }

  async run(headers: Record<string, string | string[] | undefined>, body: { query?: string; params?: unknown[]; queries?: { query: string; params: unknown[] }[] }) {
    const conn = String(headers["neon-connection-string"] ?? "");
    const client = await this.pool(conn).connect();
    // Neon answers raw text (Neon-Raw-Text-Output): the driver parses by type id itself.
    const raw = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;
    const one = (q: { query: string; params?: unknown[] }) =>
      client.query<unknown[]>({ text: q.query, values: q.params ?? [], rowMode: "array", types: raw }).then(neonResult);
    try {
      if (!body.queries) return await one(body as { query: string; params?: unknown[] });
      const isolation = String(headers["neon-batch-isolation-level"] ?? "").replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
      const readOnly = headers["neon-batch-read-only"] === "true";
      await client.query(`BEGIN${isolation ? ` ISOLATION LEVEL ${isolation}` : ""}${readOnly ? " READ ONLY" : ""}`);
      try {
        const results = [];
        for (const q of body.queries) results.push(await one(q));
        await client.query("COMMIT");
        return { results };
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      }
    } finally {
      client.release();
    }
  }

  async close() {
    for (const pool of this.pools.values()) await pool.end().catch(() => {});
  }
}

export async function startNeonProxy(opts: { port?: number } = {}): Promise<NeonProxy> {
  // The stand-ins' test hooks (dev/stand-in-server.ts): down drops every connection and refuses new
  // ones, as if Postgres were gone; latency answers every query (WebSocket and HTTP) that late;
  // /__stats adds connections opened and round trips over each door (tests count them).
  const stats: Stats = { opened: 0, open: 0, ws_round_trips: 0, http_requests: 0 };
  const faults = new Faults();
  const latency = {
    get ms() {
      return faults.latencyMs;
    },
  };
  const httpSql = new HttpSql();
  const app = new Hono()
    .route(
      "/",
      faults.routes(
        () => ({ ...stats }),
        () => {
          for (const client of wss.clients) client.terminate();
        },
      ),
    )
    .post("/sql", faults.gate((c) => c.json({ message: "Postgres is down (test fault): connection refused" }, 503)), async (c) => {
      stats.http_requests++;
      try {
        const headers: Record<string, string> = {};
        c.req.raw.headers.forEach((value, name) => (headers[name] = value));
        return c.json(await httpSql.run(headers, await c.req.json()));
      } catch (e: any) {
        if (e?.code && /^[0-9A-Z]{5}$/.test(e.code)) {
          const fields = Object.fromEntries(ERROR_FIELDS.map((k) => [k, e[k]]));
          return c.json({ message: e.message, ...fields }, 400);
        }
        return c.json({ message: `connection to Postgres failed: ${e?.message ?? e}` }, e?.status === 400 ? 400 : 503);
      }
    })
    .all("*", (c) => c.text("WebSocket only\n", 426));
  const served = await serve(app, opts.port);
  const wss = new WebSocketServer({ server: served.server, perMessageDeflate: false });
  wss.on("connection", (ws, req) => {
    if (faults.down) {
      ws.close(1011, "Postgres is down (test fault)");
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const address = url.searchParams.get("address") ?? "";
    const sep = address.lastIndexOf(":");
    const host = address.slice(0, sep);
    const port = Number(address.slice(sep + 1));
    if (!LOOPBACK_HOSTS.has(host) || !Number.isInteger(port) || port <= 0) {
      ws.close(1008, "only loopback Postgres addresses are proxied");
      return;
    }
    stats.opened++;
    stats.open++;
    ws.on("close", () => stats.open--);
    pipe(ws, host, port, latency, stats);
  });
  return {
    wsProxy: `127.0.0.1:${served.port}/v2`,
    port: served.port,
    async close() {
      await httpSql.close();
      for (const client of wss.clients) client.terminate();
      wss.close();
      await served.close();
    },
  };
}
