// A local stand-in for Upstash's Redis REST API, so the Worker runs its real
// @upstash/redis client against either a real Redis (REDIS_URL) or an embedded
// in-memory engine. It speaks just the protocol the client uses:
//   POST /             one command as a JSON array        -> {result} | 400 {error}
//   POST /pipeline     an array of commands               -> [{result}|{error}, ...]
//   POST /multi-exec   the same, applied atomically       -> [{result}|{error}, ...]
// with bearer-token auth and `Upstash-Encoding: base64` answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { Redis as IORedis } from "ioredis";
import RedisMock from "ioredis-mock";

type Command = (string | number)[];
type Reply = { result: unknown } | { error: string };

interface Engine {
  run(cmd: Command): Promise<unknown>;
  multi(cmds: Command[]): Promise<Reply[]>;
  close(): Promise<void>;
  describe: string;
}

// ioredis-mock is a client emulation with no generic `call`: it is driven by
// method name, and its replies are reshaped to what a real server would send.
function mockEngine(): Engine {
  const client = new RedisMock() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>> & {
    multi(c: unknown[][]): { exec(): Promise<[Error | null, unknown][]> };
  };
  const method = (cmd: Command) => {
    const name = String(cmd[0] ?? "").toLowerCase();
    if (typeof client[name] !== "function") throw new Error(`ERR unknown command '${name}'`);
    return name;
  };
  return {
    describe: "embedded in-memory engine (ioredis-mock)",
    async run(cmd) {
      const name = method(cmd);
      return toResp2(await client[name]!(...cmd.slice(1)));
    },
    async multi(cmds) {
      const names = cmds.map(method);
      const rows = await client.multi(cmds.map((c, i) => [names[i], ...c.slice(1)])).exec();
      return rows.map(([err, res]) => (err ? { error: err.message } : { result: toResp2(res) }));
    },
    async close() {},
  };
}

async function realEngine(url: string): Promise<Engine> {
  const client = new IORedis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  client.on("error", () => {}); // answered per request below; ioredis reconnects by itself
  // Without an offline queue, a command sent before the connection is up fails: connect first.
  await client.connect();
  return {
    describe: `Redis at ${redactUrl(url)}`,
    // ioredis reshapes some replies even through `call` (HGETALL becomes an object): flatten back to RESP2.
    async run(cmd) {
      return toResp2(await client.call(String(cmd[0]), ...cmd.slice(1).map(String)));
    },
    async multi(cmds) {
      const rows = await client.multi(cmds.map((c) => ["call", ...c.map(String)]) as string[][]).exec();
      return (rows ?? []).map(([err, res]) => (err ? { error: err.message } : { result: toResp2(res) }));
    },
    async close() {
      client.disconnect();
    },
  };
}

// Upstash's Lua accepts a shebang with flags of its own ("#!lua flags=allow-key-locking",
// used by @upstash/ratelimit) that Redis 7 rejects and ioredis-mock cannot parse. The
// stand-in drops the shebang line and answers EVALSHA itself from the scripts it has seen,
// so the client's EVALSHA → NOSCRIPT → EVAL fallback works as it does against Upstash.
class Scripts {
  private bySha = new Map<string, string>();

  translate(cmd: Command): Command {
    const name = String(cmd[0]).toUpperCase();
    if (name === "EVAL" || name === "EVAL_RO") return ["EVAL", this.remember(String(cmd[1])).body, ...cmd.slice(2)];
    if (name === "EVALSHA" || name === "EVALSHA_RO") {
      const body = this.bySha.get(String(cmd[1]).toLowerCase());
      if (body === undefined) throw new Error("NOSCRIPT No matching script. Please use EVAL.");
      return ["EVAL", body, ...cmd.slice(2)];
    }
    return cmd;
  }

  /** SCRIPT LOAD, answered here: the engine never sees the script until it runs. */
  load(cmd: Command): string | null {
    if (String(cmd[0]).toUpperCase() !== "SCRIPT" || String(cmd[1]).toUpperCase() !== "LOAD") return null;
    return this.remember(String(cmd[2])).sha;
  }

  private remember(script: string) {
    const sha = createHash("sha1").update(script).digest("hex");
    const body = script.startsWith("#!") ? script.slice(script.indexOf("\n") + 1) : script;
    this.bySha.set(sha, body);
    return { sha, body };
  }
}

function toResp2(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toResp2);
  if (typeof value === "object" && !(value instanceof Buffer)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [k, toResp2(v)]);
  }
  if (value instanceof Buffer) return value.toString();
  return value;
}

// @upstash/redis base64-decodes every string of a base64 answer except a top-level "OK".
function encode(value: unknown, topLevel: boolean): unknown {
  if (typeof value === "string") {
    return topLevel && value === "OK" ? value : Buffer.from(value, "utf8").toString("base64");
  }
  if (Array.isArray(value)) return value.map((v) => encode(v, false));
  return value;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "redis";
  }
}

function isCommand(value: unknown): value is Command {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === "string" || typeof v === "number")
  );
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export interface UpstashServer {
  url: string;
  token: string;
  engine: string;
  close(): Promise<void>;
}

export async function startUpstashServer(opts: {
  redisUrl?: string;
  token: string;
  port?: number;
}): Promise<UpstashServer> {
  const backing = opts.redisUrl ? await realEngine(opts.redisUrl) : mockEngine();
  const scripts = new Scripts();
  const engine: Engine = {
    ...backing,
    run: async (cmd) => scripts.load(cmd) ?? backing.run(scripts.translate(cmd)),
    multi: (cmds) => backing.multi(cmds.map((c) => scripts.translate(c))),
  };
  // Test hooks (POST /__fault/down | /__fault/slow?ms=N | /__fault/up): the fault tests make Redis
  // unreachable or slow around live sockets, as an Upstash outage would; the benchmark uses
  // slow as distance (every answer N ms late, as an Upstash region far from the edge).
  // POST /__stats answers how many requests (round trips) the stand-in has served.
  let fault: { kind: "down" } | { kind: "slow"; ms: number } | null = null;
  let requests = 0;
  const server: Server = createServer(async (req, res) => {
    if (req.method !== "POST") return reply(res, 405, { error: "ERR only POST is supported" });
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      return reply(res, 401, { error: "Unauthorized" });
    }
    const url = new URL(req.url ?? "/", "http://stand-in");
    if (url.pathname.startsWith("/__fault/")) {
      const kind = url.pathname.slice("/__fault/".length);
      fault = kind === "down" ? { kind: "down" } : kind === "slow" ? { kind: "slow", ms: Number(url.searchParams.get("ms") ?? 3000) } : null;
      return reply(res, 200, { fault });
    }
    if (url.pathname === "/__stats") return reply(res, 200, { requests });
    requests++;
    if (fault?.kind === "down") return reply(res, 503, { error: "ERR Redis is down (fault injected by a test)" });
    if (fault?.kind === "slow") await new Promise((r) => setTimeout(r, fault && fault.kind === "slow" ? fault.ms : 0));
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const out = (r: Reply): Reply => ("result" in r && base64 ? { result: encode(r.result, true) } : r);
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return reply(res, 400, { error: "ERR failed to parse JSON body" });
    }
    const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
    try {
      if (path === "") {
        if (!isCommand(body)) return reply(res, 400, { error: "ERR body must be a command array" });
        try {
          return reply(res, 200, out({ result: await engine.run(body) }));
        } catch (e) {
          return reply(res, 400, { error: (e as Error).message });
        }
      }
      if (path === "/pipeline" || path === "/multi-exec") {
        if (!Array.isArray(body) || !body.every(isCommand)) {
          return reply(res, 400, { error: "ERR body must be an array of command arrays" });
        }
        let replies: Reply[];
        if (path === "/multi-exec") {
          replies = await engine.multi(body);
        } else {
          replies = [];
          for (const cmd of body) {
            try {
              replies.push({ result: await engine.run(cmd) });
            } catch (e) {
              replies.push({ error: (e as Error).message });
            }
          }
        }
        return reply(res, 200, replies.map(out));
      }
      return reply(res, 404, { error: "ERR unknown endpoint" });
    } catch (e) {
      // The backing Redis is unreachable: answer like an unavailable service.
      return reply(res, 503, { error: `ERR backing Redis unavailable: ${(e as Error).message}` });
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token: opts.token,
    engine: engine.describe,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
    },
  };
}
