// What the local stand-ins (Neon's proxy, Upstash's REST API, Stripe's API)
// share: each is a Hono app served on a loopback port by Node's http server,
// and each takes the same test hooks, so the tests and the benchmark drive
// every back end alike (dev/README.md):
//   POST /__fault/down             refuse everything, as an outage would
//   POST /__fault/up               back to normal (no fault, no added latency)
//   POST /__fault/latency?ms=N     answer everything N ms late, as a region that far away would
//   GET  /__stats                  requests (round trips) served so far, and the fault in force
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono, type Context, type MiddlewareHandler } from "hono";

/** The fault in force and what was served, per stand-in. */
export class Faults {
  down = false;
  latencyMs = 0;
  requests = 0;

  /** The hooks' routes, mounted under /__fault and /__stats; `onDown` runs when the stand-in goes down (Neon's drops its connections). */
  routes(stats: () => Record<string, unknown> = () => ({}), onDown: () => void = () => {}) {
    const answer = () => ({ down: this.down, latency_ms: this.latencyMs, requests: this.requests, ...stats() });
    return new Hono()
      .post("/__fault/down", (c) => {
        this.down = true;
        onDown();
        return c.json(answer());
      })
      .post("/__fault/up", (c) => {
        this.down = false;
        this.latencyMs = 0;
        return c.json(answer());
      })
      .post("/__fault/latency", (c) => {
        const ms = Number(c.req.query("ms"));
        if (!Number.isFinite(ms) || ms < 0 || ms > 60_000) return c.json({ error: "ms must be a number of milliseconds from 0 to 60000" }, 400);
        this.latencyMs = ms;
        return c.json(answer());
      })
      .get("/__stats", (c) => c.json(answer()));
  }

  /** Counts a request, holds it for the latency in force, and answers `down` (the stand-in's own refusal) during an outage. */
  gate(refuse: (c: Context) => Response): MiddlewareHandler {
    return async (c, next) => {
      this.requests++;
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      if (this.down) return refuse(c);
      await next();
    };
  }
}

export interface Served {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves a Hono app on 127.0.0.1 (port 0: any free one); WebSocket upgrades are left to whoever listens for them. */
export async function serve(app: { fetch: (request: Request) => Response | Promise<Response> }, port = 0): Promise<Served> {
  const server = createServer(async (req, res) => {
    try {
      const answer = await app.fetch(await toRequest(req));
      const headers: Record<string, string> = {};
      answer.headers.forEach((value, name) => (headers[name] = value));
      res.writeHead(answer.status, headers);
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (e) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `stand-in failure: ${e instanceof Error ? e.message : String(e)}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function toRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
    else if (value !== undefined) headers.set(name, value);
  }
  const body = chunks.length > 0 && req.method !== "GET" && req.method !== "HEAD" ? Buffer.concat(chunks) : undefined;
  return new Request(`http://127.0.0.1${req.url ?? "/"}`, { method: req.method, headers, body });
}
