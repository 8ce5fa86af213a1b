// The operator CLIs, run as child processes (as an operator would) against a
// room seeded through the public API of the Worker running in wrangler dev.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, stack, startTestWorker, type TestWorker } from "./worker.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let worker: TestWorker;
const OPERATOR_TOKEN = "operator-token-for-the-cli-tests-0123456789";

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
          CHATPOP_URL: worker.url,
          OPERATOR_TOKEN,
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
  worker = await startTestWorker({ OPERATOR_TOKEN });
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

describe("npm run inspect-redis: --list, --stats, --compare, --clear, --monitor", () => {
  it("--list shows every room with keys, the biggest first, and --json the same", async () => {
    const room = await seededRoom();
    const run = await cli("inspect-redis", ["--list", "--limit", "100000"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Rooms with keys in Redis at http:\/\/127\.0\.0\.1:\d+: \d+/);
    expect(run.stdout).toMatch(new RegExp(`\\n${room.code}\\s+3\\s+0\\s+0\\s+2[34]h \\d\\dm \\d\\ds\\s+~\\d`));
    const json = JSON.parse((await cli("inspect-redis", ["--list", "--json", "--limit", "100000"])).stdout);
    const line = json.rooms.find((r: any) => r.chat === room.code);
    expect(line).toMatchObject({ messages: 3, backroom: 0, pinned: 0 });
    expect(line.ttl_seconds).toBeGreaterThan(23 * 3600);
    const counts = json.rooms.map((r: any) => r.messages);
    expect(counts).toEqual([...counts].sort((a: number, b: number) => b - a));
  });

  it("--stats gives the totals", async () => {
    await seededRoom();
    const run = await cli("inspect-redis", ["--stats", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const stats = JSON.parse(run.stdout);
    expect(stats.rooms_with_window).toBeGreaterThanOrEqual(1);
    expect(stats.messages_cached).toBeGreaterThanOrEqual(3);
    expect(stats.keys).toBeGreaterThanOrEqual(stats.rooms_with_window);
    // The same count --list gives (the suites share this Redis: other rooms are there too).
    const rooms = JSON.parse((await cli("inspect-redis", ["--list", "--json", "--limit", "100000"])).stdout).rooms;
    expect(stats.windows_without_ttl).toBe(rooms.filter((r: any) => r.messages > 0 && r.ttl_seconds === null).length);
    expect(stats.messages_cached).toBe(rooms.reduce((n: number, r: any) => n + r.messages, 0));
    const text = await cli("inspect-redis", ["--stats"]);
    expect(text.stdout).toMatch(/rooms \(windows\)\s+\d+, \d+ messages cached/);
  });

  it("--compare finds what is missing, extra and out of order; --clear --yes rebuilds it to match Postgres", async () => {
    const room = await seededRoom();
    const consistent = await cli("inspect-redis", ["--compare", "--chat", room.code]);
    expect(consistent.code, consistent.stderr + consistent.stdout).toBe(0);
    expect(consistent.stdout).toContain("consistent: the window is exactly Postgres's newest messages");
    expect(consistent.stdout).toMatch(/room log {3}3 rows, seq 1–3, 0 not in Postgres yet/);

    const r = redis();
    const key = `chat:${room.code}:messages`;
    const members = (await r.zrange(key, 0, -1)) as string[];
    await r.zrem(key, members[1]!);
    const stray = { ...JSON.parse(members[2]!), id: crypto.randomUUID(), seq: 9, content: "stray" };
    await r.zadd(key, { score: 2, member: JSON.stringify(stray) });
    const run = await cli("inspect-redis", ["--compare", "--chat", room.code, "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.consistent).toBe(false);
    expect(report.missing).toEqual([{ seq: 2, id: room.sent[1].id }]);
    expect(report.extra).toEqual([{ seq: 9, id: stray.id }]);
    expect(report.out_of_order.map((m: any) => [m.seq, m.score])).toEqual([[9, 2]]);
    // The room's own log says the same: seq 2 was committed and is not cached; the stray was never committed.
    expect(report.room_log).toMatchObject({ rows: 3, unflushed: 0, missing: [{ seq: 2, id: room.sent[1].id }], extra: [{ seq: 9, id: stray.id }] });
    const text = await cli("inspect-redis", ["--compare", "--chat", room.code]);
    expect(text.stdout).toContain(`--clear --chat ${room.code}`);

    const refused = await cli("inspect-redis", ["--clear", "--chat", room.code]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("add --yes");
    expect((await r.zcard(key))).toBe(3);

    const cleared = await cli("inspect-redis", ["--clear", "--chat", room.code, "--yes"]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toContain("Dropped 1 of");
    expect(cleared.stdout).toContain("window     0 → 3 messages (seq 1–3)");
    expect((await cli("inspect-redis", ["--compare", "--chat", room.code])).code).toBe(0);
  });

  it("--monitor prints each append as it lands, inert, until --seconds runs out", async () => {
    const room = await seededRoom();
    const watching = cli("inspect-redis", ["--monitor", "--chat", room.code, "--seconds", "6"]);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await call("POST", `/api/chats/${room.code}/messages/send/`, { message: "live one", session_token: room.session_token });
    await call("POST", `/api/chats/${room.code}/messages/send/`, { message: "live \u202Etwo\nlines", session_token: room.session_token });
    const run = await watching;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Watching chat:${room.code}:messages for appends after seq 3`);
    const lines = run.stdout.trim().split("\n").slice(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^4  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  alice_ops  live one$/);
    expect(lines[1]).toMatch(/^5 .*live \\u202Etwo lines$/);
    expect(run.stderr).toContain("Stopped after 2 appends.");
  });

  it("refuses mixed modes, a code where none belongs and a missing one", async () => {
    const both = await cli("inspect-redis", ["--list", "--stats"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("Choose one of --list, --stats");
    const listChat = await cli("inspect-redis", ["--list", "--chat", "22222222"]);
    expect(listChat.code).toBe(2);
    expect(listChat.stderr).toContain("leave out --chat");
    for (const mode of ["--compare", "--clear", "--monitor"]) {
      const run = await cli("inspect-redis", [mode]);
      expect(run.code, mode).toBe(2);
      expect(run.stderr).toContain(`--chat CODE is required with ${mode}`);
    }
    const badSeconds = await cli("inspect-redis", ["--monitor", "--chat", "22222222", "--seconds", "-1"]);
    expect(badSeconds.code).toBe(2);
    const wild = await cli("inspect-redis", ["--clear", "--chat", "*", "--yes"]);
    expect(wild.code).toBe(2);
    expect(wild.stderr).toContain("is not a room code");
  });
});

describe("the operators' route a room's log is read through", () => {
  it("answers only the operator token, and says which room is missing", async () => {
    const room = await seededRoom();
    const path = `/api/ops/rooms/${room.code}/log/`;
    const ok = await worker.call("GET", path, undefined, { authorization: `Bearer ${OPERATOR_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body.rows.map((r: any) => r.seq)).toEqual([1, 2, 3]);
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer wrong" }, { authorization: `Bearer ${OPERATOR_TOKEN}x` }, { authorization: OPERATOR_TOKEN }];
    for (const headers of attempts) {
      const refused = await worker.call("GET", path, undefined, headers);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe("NOT_ALLOWED");
    }
    expect((await worker.call("GET", "/api/ops/rooms/zzzzzzzz/log/", undefined, { authorization: `Bearer ${OPERATOR_TOKEN}` })).body.code).toBe("ROOM_NOT_FOUND");
    expect((await worker.call("GET", "/api/ops/rooms/a*/log/", undefined, { authorization: `Bearer ${OPERATOR_TOKEN}` })).status).toBe(400);
    expect((await worker.call("GET", `${path}?channel=elsewhere`, undefined, { authorization: `Bearer ${OPERATOR_TOKEN}` })).status).toBe(400);
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
