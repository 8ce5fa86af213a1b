// The operator CLIs, run as child processes (as an operator would) against a
// room seeded through the public API of the Worker running in wrangler dev.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, stack, startTestWorker, type TestWorker } from "./worker.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let worker: TestWorker;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(script: "inspect-redis" | "cache-rebuild", args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      `${root}/node_modules/.bin/tsx`,
      [`src/cli/${script}.ts`, ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          UPSTASH_REDIS_REST_URL: stack.UPSTASH_REDIS_REST_URL,
          UPSTASH_REDIS_REST_TOKEN: stack.UPSTASH_REDIS_REST_TOKEN,
          DATABASE_URL: stack.DATABASE_URL,
          ...env,
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function call(method: string, path: string, body?: unknown, token?: string) {
  return (await worker.call(method, path, body, token ? { authorization: `Bearer ${token}` } : {})).body;
}

const redis = () =>
  new Redis({ url: stack.UPSTASH_REDIS_REST_URL, token: stack.UPSTASH_REDIS_REST_TOKEN, automaticDeserialization: false, enableTelemetry: false });

/** A room with three messages (one over two lines, one long) and a reaction on the last. */
async function seededRoom() {
  const rand = crypto.randomUUID().slice(0, 8);
  const { token } = await call("POST", "/api/auth/register/", { email: `op${rand}@example.com`, password: "sturdy-pass-42", reserved_username: `op_${rand}` });
  const room = await call("POST", "/api/chats/create/", { name: "Ops" }, token);
  const { session_token } = await call("POST", `/api/chats/${room.code}/join/`, { username: "alice_ops", fingerprint: `fp-${rand}` });
  const sent = [];
  for (const message of ["hello", "first line\nsecond line", "x".repeat(100)]) {
    sent.push(await call("POST", `/api/chats/${room.code}/messages/send/`, { message, session_token }));
  }
  await call("POST", `/api/chats/${room.code}/messages/${sent[2].id}/react/`, { emoji: "🔥", session_token });
  return { code: room.code as string, session_token: session_token as string, sent };
}

beforeAll(async () => {
  worker = await startTestWorker();
});

afterAll(async () => {
  await worker?.stop();
});

describe("npm run inspect-redis", () => {
  it("prints the room's window, TTL, memory, pins and back room", async () => {
    const room = await seededRoom();
    const run = await cli("inspect-redis", ["--chat", room.code]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Room ${room.code} in Redis at ${stack.UPSTASH_REDIS_REST_URL}`);
    expect(run.stdout).toMatch(/3 cached, seq 1–3, TTL 2[34]h \d\dm \d\ds, ~\d/);
    expect(run.stdout).toContain(`chat:${room.code}:pinned: 0 entries`);
    expect(run.stdout).toContain(`chat:${room.code}:backroom:messages: 0 cached`);
    expect(run.stdout).not.toContain("reactions");
    expect(run.stdout).not.toContain("seq  time");
  });

  it("shows the newest cached messages as a table, one line each, with --show-messages and --limit", async () => {
    const room = await seededRoom();
    const all = await cli("inspect-redis", ["--chat", room.code, "--show-messages"]);
    const table = all.stdout.slice(all.stdout.indexOf("seq  time"));
    const rows = table.trim().split("\n").slice(2);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+alice_ops\s+hello$/);
    expect(rows[1]).toMatch(/alice_ops\s+first line second line$/);
    expect(rows[2]).toMatch(/x{59}…$/);
    const two = await cli("inspect-redis", ["--chat", room.code, "--show-messages", "--limit", "2"]);
    const twoRows = two.stdout.slice(two.stdout.indexOf("seq  time")).trim().split("\n").slice(2);
    expect(twoRows.map((r) => r.split(/\s+/)[0])).toEqual(["2", "3"]);
  });

  it("prints what participants wrote inert: bidi overrides come out as escapes, in the table and in --json", async () => {
    const { code, session_token } = await seededRoom();
    const sent = await call("POST", `/api/chats/${code}/messages/send/`, { message: "invoice\u202Etxt.exe \u2066x\u2069", session_token });
    // An action runs after the room's Redis appends: once it answered, the window has the message.
    await call("POST", `/api/chats/${code}/messages/${sent.id}/react/`, { emoji: "👍", session_token });
    for (const args of [["--show-messages"], ["--show-messages", "--json"]]) {
      const run = await cli("inspect-redis", ["--chat", code, ...args]);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
      expect(run.stdout).toContain("invoice\\u202Etxt.exe");
    }
  });

  it("answers --json with the same facts", async () => {
    const room = await seededRoom();
    const run = await cli("inspect-redis", ["--chat", room.code, "--json", "--show-messages"]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.messages).toMatchObject({ key: `chat:${room.code}:messages`, count: 3, seq_min: 1, seq_max: 3 });
    expect(report.messages.ttl_seconds).toBeGreaterThan(23 * 3600);
    expect(report.messages.ttl_seconds).toBeLessThanOrEqual(24 * 3600);
    expect(report.messages.approx_bytes).toBeGreaterThan(300);
    expect(report.messages.shown.map((m: any) => m.content)).toEqual(["hello", "first line\nsecond line", "x".repeat(100)]);
    expect(report).not.toHaveProperty("reactions");
  });

  it("refuses codes with key syntax, bad flags, rooms with no cache and an unreachable Redis, clearly", async () => {
    for (const code of ["a*", "chat:x", "has space", "*", "abc", "ABCDEFGH", "22222222:*"]) {
      const run = await cli("inspect-redis", ["--chat", code]);
      expect(run.code, code).toBe(2);
      expect(run.stderr, code).toContain("is not a room code");
      expect(run.stdout).toBe("");
    }
    const usage = await cli("inspect-redis", []);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--chat CODE is required");
    expect((await cli("inspect-redis", ["--chat", "22222222", "--limit", "0"])).code).toBe(2);
    const unknown = await cli("inspect-redis", ["--chat", "22222222", "--everything"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("usage:");

    const empty = await cli("inspect-redis", ["--chat", "zzzzzzzz"]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("Room zzzzzzzz has nothing cached in Redis");
    expect(empty.stderr).toContain("cache:rebuild");

    const down = await cli("inspect-redis", ["--chat", "zzzzzzzz"], { UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("Cannot reach Redis at http://127.0.0.1:");
  });
});

describe("npm run cache:rebuild", () => {
  it("rebuilds the window from Postgres and reports what changed", async () => {
    const room = await seededRoom();
    // The first message is deleted (it must not come back); the cache is lost.
    await call("POST", `/api/chats/${room.code}/messages/${room.sent[0].id}/delete/`, { session_token: room.session_token });
    const r = redis();
    await r.del(`chat:${room.code}:messages`);

    const run = await cli("cache-rebuild", ["--chat", room.code]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Reading room ${room.code} from Postgres…`);
    expect(run.stdout).toContain("window     0 → 2 messages (seq 2–3), TTL 24h 00m 00s");

    const members = ((await r.zrange(`chat:${room.code}:messages`, 0, -1)) as string[]).map((m) => JSON.parse(m));
    expect(members.map((m) => m.seq)).toEqual([2, 3]);
    expect(members[1]).toMatchObject({ id: room.sent[2].id, content: "x".repeat(100), reactions: [] });
    expect(await r.ttl(`chat:${room.code}:messages`)).toBeGreaterThan(23 * 3600);
  });

  it("keeps only the newest MESSAGE_CACHE_MAX_COUNT messages", async () => {
    const room = await seededRoom();
    const run = await cli("cache-rebuild", ["--chat", room.code], { MESSAGE_CACHE_MAX_COUNT: "2" });
    expect(run.stdout).toContain("3 → 2 messages (seq 2–3)");
  });

  it("says so when the room does not exist or the code is not one", async () => {
    const missing = await cli("cache-rebuild", ["--chat", "zzzzzzzz"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No room with code zzzzzzzz in Postgres");
    const bad = await cli("cache-rebuild", ["--chat", "x:*"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("is not a room code");
  });
});
