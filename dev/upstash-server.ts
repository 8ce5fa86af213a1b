// A local stand-in for Upstash's Redis REST API, so the Worker runs its real
// @upstash/redis client against either a real Redis (REDIS_URL) or an embedded
// in-memory engine. It speaks just the protocol the client uses:
//   POST /             one command as a JSON array        -> {result} | 400 {error}
//   POST /pipeline     an array of commands               -> [{result}|{error}, ...]
//   POST /multi-exec   the same, applied atomically       -> [{result}|{error}, ...]
// with bearer-token auth and `Upstash-Encoding: base64` answers, and the stand-ins'
// fault hooks (dev/stand-in-server.ts: /__fault/{down,up,latency}, /__stats).
import { Hono, type Context } from "hono";
import { Faults, serve } from "./stand-in-server.ts";
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
  // The stand-ins' test hooks (dev/stand-in-server.ts): the fault tests make Redis unreachable or
  // slow around live sockets, as an Upstash outage would; the benchmark uses latency as distance.
  const faults = new Faults();
  const app = new Hono({ strict: false })
    .use(async (c, next) => {
      if (c.req.header("authorization") !== `Bearer ${opts.token}`) return c.json({ error: "Unauthorized" }, 401);
      await next();
    })
    .route("/", faults.routes())
    .use(async (c, next) => {
      if (c.req.method !== "POST") return c.json({ error: "ERR only POST is supported" }, 405);
      await next();
    })
    .use(faults.gate((c) => c.json({ error: "ERR Redis is down (fault injected by a test)" }, 503)))
    .post("/", (c) =>
      answer(c, async (body, out) => {
        if (!isCommand(body)) return c.json({ error: "ERR body must be a command array" }, 400);
        try {
          return c.json(out({ result: await engine.run(body) }));
        } catch (e) {
          return c.json({ error: (e as Error).message }, 400);
        }
      }),
    )
    .post("/pipeline", (c) =>
      answer(c, async (body, out) => {
        if (!Array.isArray(body) || !body.every(isCommand)) return c.json({ error: "ERR body must be an array of command arrays" }, 400);
        const replies: Reply[] = [];
        for (const cmd of body) {
          try {
            replies.push({ result: await engine.run(cmd) });
          } catch (e) {
            replies.push({ error: (e as Error).message });
          }
        }
        return c.json(replies.map(out));
      }),
    )
    .post("/multi-exec", (c) =>
      answer(c, async (body, out) => {
        if (!Array.isArray(body) || !body.every(isCommand)) return c.json({ error: "ERR body must be an array of command arrays" }, 400);
        return c.json((await engine.multi(body)).map(out));
      }),
    )
    .notFound((c) => c.json({ error: "ERR unknown endpoint" }, 404));
  const served = await serve(app, opts.port);
  return {
    url: served.url,
    token: opts.token,
    engine: engine.describe,
    async close() {
      await served.close();
      await engine.close();
    },
  };
}

/**
 * Reads the request's JSON and runs the handler with base64 encoding applied to its replies when
 * the client asked for it; a backing Redis that cannot be reached answers like an unavailable service.
 */
async function answer(c: Context, handle: (body: unknown, out: (r: Reply) => Reply) => Promise<Response>): Promise<Response> {
  const base64 = (c.req.header("upstash-encoding") ?? "").toLowerCase() === "base64";
  const out = (r: Reply): Reply => ("result" in r && base64 ? { result: encode(r.result, true) } : r);
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: "ERR failed to parse JSON body" }, 400);
  }
  try {
    return await handle(body, out);
  } catch (e) {
    return c.json({ error: `ERR backing Redis unavailable: ${(e as Error).message}` }, 503);
  }
}
