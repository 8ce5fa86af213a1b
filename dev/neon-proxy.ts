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

function pipe(ws: WebSocket, host: string, port: number) {
  const tcp: Socket = connect({ host: host.replace(/^\[|\]$/g, ""), port });
  tcp.setNoDelay(true);
  const pending: Buffer[] = [];
  let open = false;
  tcp.on("connect", () => {
    open = true;
    for (const chunk of pending.splice(0)) tcp.write(chunk);
  });
  ws.on("message", (data: Buffer) => (open ? tcp.write(data) : pending.push(data)));
  tcp.on("data", (chunk) => ws.readyState === ws.OPEN && ws.send(chunk));
  tcp.on("error", () => ws.close(1011, "upstream error"));
  tcp.on("close", () => ws.readyState <= ws.OPEN && ws.close());
  ws.on("close", () => tcp.destroy());
  ws.on("error", () => tcp.destroy());
}

export async function startNeonProxy(opts: { port?: number } = {}): Promise<NeonProxy> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" });
    res.end("WebSocket only\n");
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on("connection", (ws, req) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const address = url.searchParams.get("address") ?? "";
    const sep = address.lastIndexOf(":");
    const host = address.slice(0, sep);
    const port = Number(address.slice(sep + 1));
    if (!LOOPBACK.has(host) || !Number.isInteger(port) || port <= 0) {
      ws.close(1008, "only loopback Postgres addresses are proxied");
      return;
    }
    pipe(ws, host, port);
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
