// A local stand-in for Neon's WebSocket proxy: the Neon serverless driver
// speaks the Postgres wire protocol inside WebSocket messages, and this pipe
// forwards those bytes to a Postgres TCP port (`/v2?address=host:port`).
// Only loopback addresses are forwarded, so it cannot be used to reach out.
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export interface NeonProxy {
  /** The value for the Worker's NEON_WS_PROXY setting (host:port/v2). */
  wsProxy: string;
  port: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const TERMINATE = 0x58; // 'X'

/**
 * Follows the client's side of the Postgres protocol just far enough to spot
 * Terminate. Real Postgres hangs up on it; PGlite's socket server does not,
 * and without this every ended connection would stay open until PGlite's
 * connection limit is hit.
 */
export class TerminateWatch {
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

function pipe(ws: WebSocket, host: string, port: number, latency: { ms: number }) {
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
    ending = watch.feed(data);
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

export async function startNeonProxy(opts: { port?: number } = {}): Promise<NeonProxy> {
  // Test hooks, loopback only like the rest:
  //   GET /stats             Postgres connections opened through the proxy (tests check reuse)
  //   POST /fault/down|up    drop every connection and refuse new ones, as if Postgres were gone
  //   POST /fault/latency?ms=N  answer every query N ms late, as a Postgres far from the edge would
  const stats = { opened: 0, open: 0 };
  const latency = { ms: 0 };
  let down = false;
  const server: Server = createServer((req, res) => {
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
    if (!LOOPBACK.has(host) || !Number.isInteger(port) || port <= 0) {
      ws.close(1008, "only loopback Postgres addresses are proxied");
      return;
    }
    stats.opened++;
    stats.open++;
    ws.on("close", () => stats.open--);
    pipe(ws, host, port, latency);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    wsProxy: `127.0.0.1:${port}/v2`,
    port,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
