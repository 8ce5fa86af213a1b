// A local stand-in for Neon's two front doors:
// - the WebSocket proxy: the Neon serverless driver speaks the Postgres wire
//   protocol inside WebSocket messages, and this pipe forwards those bytes to
//   a Postgres TCP port (`/v2?address=host:port`);
// - the HTTP SQL endpoint (`POST /sql`) that `neon()` queries: one query, or a
//   batch run in one transaction, per request, answered as Neon answers
//   (raw text values with their type ids; Postgres errors as 400 with fields).
// Only loopback addresses are served, so it cannot be used to reach out. Both
// count round trips (GET /stats), so tests can hold the Worker to a budget.
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import pg from "pg";


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

async function readJson(req: import("node:http").IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

export async function startNeonProxy(opts: { port?: number } = {}): Promise<NeonProxy> {
  // Test hooks, loopback only like the rest:
  //   GET /stats             connections opened, round trips over WebSocket and HTTP (tests count them)
  //   POST /fault/down|up    drop every connection and refuse new ones, as if Postgres were gone
  //   POST /fault/latency?ms=N  answer every query N ms late, as a Postgres far from the edge would
  const stats: Stats = { opened: 0, open: 0, ws_round_trips: 0, http_requests: 0 };
  const latency = { ms: 0 };
  let down = false;
  const httpSql = new HttpSql();
  const server: Server = createServer((req, res) => {
    if (req.method === "POST" && req.url?.split("?")[0] === "/sql") {
      stats.http_requests++;
      const answer = (status: number, body: unknown) => {
        const send = () => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (latency.ms > 0) setTimeout(send, latency.ms);
        else send();
      };
      if (down) return answer(503, { message: "Postgres is down (test fault): connection refused" });
      readJson(req)
        .then((body) => httpSql.run(req.headers, body))
        .then(
          (result) => answer(200, result),
          (e: any) => {
            if (e?.code && /^[0-9A-Z]{5}$/.test(e.code)) {
              const fields = Object.fromEntries(ERROR_FIELDS.map((k) => [k, e[k]]));
              answer(400, { message: e.message, ...fields });
            } else {
              answer(e?.status ?? 503, { message: `connection to Postgres failed: ${e?.message ?? e}` });
            }
          },
        );
      return;
    }
    if (req.url === "/stats" || req.url?.startsWith("/fault/")) {
      if (req.method === "POST" && req.url?.startsWith("/fault/latency")) {
        latency.ms = Math.max(0, Math.min(1000, Number(new URL(req.url, "http://proxy").searchParams.get("ms")) || 0));
      } else if (req.method === "POST" && req.url === "/fault/down") {
        down = true;
        for (const client of wss.clients) client.terminate();
      } else if (req.method === "POST" && req.url === "/fault/up") {
        down = false;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ...stats, down, latency_ms: latency.ms }));
      return;
    }
    res.writeHead(426, { "content-type": "text/plain" });
    res.end("WebSocket only\n");
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on("connection", (ws, req) => {
    if (down) {
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
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    wsProxy: `127.0.0.1:${port}/v2`,
    port,
    async close() {
      await httpSql.close();
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
