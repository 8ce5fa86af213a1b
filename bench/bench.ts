// `npm run bench [-- --clients 50 --senders 10 --seconds 10 --batch-senders 200
//                    --history 10000,100000,1000000 --samples 40 --listeners 4000
//                    --quick --only distance|open-loop|big-room|flood]`
// Measures ChatPop Edge on the local stack (real Postgres / Redis when
// DATABASE_URL / REDIS_URL are set), always next to a baseline from the same
// run, and writes a markdown report to bench/results/ (printed too):
//   0. transport: wrangler dev's proxy versus the Worker's own workerd port
//   1. fan-out: full pipeline vs a bare broadcast room vs the pipeline unbatched
//   2. history: keyset pages vs OFFSET paging in rooms of 10k, 100k and 1M messages
//   3. join backfill: the last 50 messages from the Redis window vs from Postgres
//   4. distance: Postgres and Redis made 0, 20 and 80 ms away by the stand-ins'
//      latency hooks; each user-facing operation's p50/p99 and its multiple of
//      the distance, both commit modes; and the open-loop latency run (100
//      sends/s, 50 receivers in a separate process) full pipeline vs bare room
//   5. big rooms: one room object vs the room + 2 and 4 relays, listeners in
//      separate processes; deliveries/s, send → listener p50/p99, and how much
//      CPU workerd used (whether it ran the objects in parallel)
//   6. flood: honest senders' latency with and without a participant flooding
//      junk frames (bench/flood.ts, the flooder in its own process)
// Loopback only. Goals are reported, never asserted.
import { execSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { WebSocket } from "ws";
import { spawnStack, type SpawnedStack } from "../dev/spawn-stack.ts";
import { LOAD_RUN_VARS, freePort, startWranglerDev, type WranglerDev } from "../dev/wrangler-dev.ts";
import { encodeCursor } from "../src/domain/cursor.ts";
import { runFlood } from "./flood.ts";
import { ms, openSocket, pct, ratio } from "./measure.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: opt } = parseArgs({
  options: {
    clients: { type: "string", default: "50" },
    senders: { type: "string", default: "10" },
    window: { type: "string", default: "4" },
    seconds: { type: "string", default: "10" },
    "batch-senders": { type: "string", default: "200" },
    history: { type: "string", default: "10000,100000,1000000" },
    samples: { type: "string", default: "40" },
    listeners: { type: "string", default: "4000" },
    quick: { type: "boolean", default: false },
    // "distance": only section 4 (the distance table and the open-loop run); "open-loop": only the latter.
    only: { type: "string", default: "" },
  },
});
const quick = opt.quick!;
const CLIENTS = Number(opt.clients);
const SENDERS = Number(opt.senders);
const WINDOW = Number(opt.window);
const SECONDS = quick ? 3 : Number(opt.seconds);
const BATCH_SENDERS = Number(opt["batch-senders"]);
const HISTORY_SIZES = quick ? [1000, 10000] : opt.history!.split(",").map(Number);
const SAMPLES = quick ? 10 : Number(opt.samples);
const LISTENERS = quick ? 400 : Number(opt.listeners);

const log = (line: string) => console.log(`[bench] ${line}`);

// ---- small helpers ----------------------------------------------------------

let ipCounter = 0;
const nextIp = () => {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json", "CF-Connecting-IP": nextIp(), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

/** The lines a child process prints, as they arrive (the last one once its newline comes). */
function linesOf(child: ChildProcess): string[] {
  const lines: string[] = [];
  let buffered = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += String(d);
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  return lines;
}

/** Whether `pid` descends from `ancestor` (Linux /proc). */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
    if (p === ancestor) return true;
    try {
      p = Number(readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
    } catch {
      return false;
    }
  }
  return false;
}

/** The Worker's own workerd port under this wrangler dev (not its proxy's): the path without the dev proxy. */
async function directUrl(dev: WranglerDev, proxyPort: number, marker: string): Promise<string | null> {
  try {
    const out = execSync("ss -ltnp", { encoding: "utf8" });
    const ports = [...out.matchAll(/127\.0\.0\.1:(\d+)\s.*"workerd",pid=(\d+)/g)]
      .filter((m) => descendsFrom(Number(m[2]), dev.child.pid!))
      .map((m) => Number(m[1]))
      .filter((p) => p !== proxyPort);
    for (const p of ports) {
      try {
        const res = await fetch(`http://127.0.0.1:${p}${marker === "bare" ? "/" : "/api/"}`, { signal: AbortSignal.timeout(1000) });
        const text = await res.text();
        if (text.includes(marker)) return `http://127.0.0.1:${p}`;
      } catch {
        // not this one
      }
    }
  } catch {
    // no ss: fall back to the proxy
  }
  return null;
}

interface Target {
  name: string;
  dev: WranglerDev;
  proxy: string;
  direct: string | null;
  /** The fastest path found for this target. */
  url: string;
}

async function startTarget(name: string, vars: Record<string, string>, config?: string): Promise<Target> {
  const port = await freePort();
  const dev = startWranglerDev({ port, vars, stdio: "ignore", config });
  await dev.ready;
  const direct = await directUrl(dev, port, config ? "bare" : '"chatpop-edge"');
  return { name, dev, proxy: dev.url, direct, url: direct ?? dev.url };
}

// ---- 0. transport ------------------------------------------------------------

async function transport(t: Target): Promise<{ path: string; http: number; ws: number }[]> {
  const rows = [];
  for (const [path, base] of [["wrangler dev proxy", t.proxy], ["workerd direct", t.direct]] as const) {
    if (!base) continue;
    const http: number[] = [];
    for (let i = 0; i < SAMPLES * 5; i++) {
      const t0 = performance.now();
      await (await fetch(`${base}/`)).text();
      http.push(performance.now() - t0);
    }
    const room = await newRoom(base);
    const [token] = await joinMany(base, room, 1);
    const ws = await openSocket(`${base.replace("http", "ws")}/ws/chat/${room}/?session_token=${token}`);
    const rtt: number[] = [];
    for (let i = 0; i < SAMPLES * 5; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const on = (data: Buffer) => {
          if (JSON.parse(String(data)).type === "pong") {
            ws.off("message", on);
            resolve();
          }
        };
        ws.on("message", on);
        ws.send('{"type":"ping"}');
      });
      rtt.push(performance.now() - t0);
    }
    ws.close();
    rows.push({ path, http: pct(http, 50), ws: pct(rtt, 50) });
  }
  return rows;
}

/** 2 s of warm-up, then SECONDS with `on(true)`: answers the measured seconds. */
async function measure(on: (measuring: boolean) => void): Promise<number> {
  await new Promise((r) => setTimeout(r, 2000));
  on(true);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  on(false);
  return (performance.now() - t0) / 1000;
}

// ---- rooms and sessions -------------------------------------------------------

async function newRoom(base: string): Promise<string> {
  const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(-12);
  const host = await call(base, "POST", "/api/auth/register/", { email: `b${tag}@example.com`, password: "bench-password", reserved_username: `b_${tag}`.slice(0, 15) });
  const room = await call(base, "POST", "/api/chats/create/", { name: "Bench" }, { authorization: `Bearer ${host.token}` });
  return room.code;
}

async function joinMany(base: string, code: string, n: number): Promise<string[]> {
  const tokens = [];
  for (let i = 0; i < n; i++) {
    const j = await call(base, "POST", `/api/chats/${code}/join/`, { username: `u${i}_${Math.floor(Math.random() * 1e6)}`.slice(0, 15), fingerprint: `bench-${code}-${i}` });
    tokens.push(j.session_token as string);
  }
  return tokens;
}

// ---- 1. fan-out ----------------------------------------------------------------

interface FanoutResult {
  target: string;
  clients: number;
  senders: number;
  sent: number;
  deliveriesPerSecond: number;
  messagesPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Closed loop: each sender keeps WINDOW sends in flight; every socket of the room listens. */
async function fanout(t: Target, bare: boolean, clients: number, senders: number): Promise<FanoutResult> {
  const ws = t.url.replace("http", "ws");
  let urls: string[];
  if (bare) {
    const room = `bare-${Math.random().toString(36).slice(2)}`;
    urls = Array.from({ length: clients }, () => `${ws}/room/${room}`);
  } else {
    const room = await newRoom(t.url);
    urls = (await joinMany(t.url, room, clients)).map((token) => `${ws}/ws/chat/${room}/?session_token=${token}`);
  }
  const sockets = await Promise.all(urls.map(openSocket));
  let measuring = false;
  let deliveries = 0;
  const latencies: number[] = [];
  for (const s of sockets) {
    s.on("message", (data: Buffer) => {
      const f = JSON.parse(String(data));
      if (f.type !== "message" || !measuring) return;
      deliveries++;
      latencies.push(performance.now() - Number(f.content));
    });
  }
  let sent = 0;
  let running = true;
  const loops = sockets.slice(0, senders).map((s, i) => {
    let n = 0;
    const send = () => {
      if (!running) return;
      n++;
      sent += measuring ? 1 : 0;
      s.send(JSON.stringify({ message: String(performance.now()), client_id: `s${i}-${n}` }));
    };
    s.on("message", (data: Buffer) => {
      const f = JSON.parse(String(data));
      if (f.type === "message" && typeof f.client_id === "string" && f.client_id.startsWith(`s${i}-`)) send();
      if (f.type === "error") setTimeout(send, 50);
    });
    for (let k = 0; k < WINDOW; k++) send();
  });
  void loops;
  const elapsed = await measure((on) => (measuring = on));
  running = false;
  await new Promise((r) => setTimeout(r, 500));
  sockets.forEach((s) => s.close());
  return {
    target: t.name,
    clients,
    senders,
    sent,
    deliveriesPerSecond: deliveries / elapsed,
    messagesPerSecond: deliveries / elapsed / clients,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
  };
}

/** Stored messages per second with many concurrent REST senders (no fan-out to hide the write path). */
async function writeThroughput(t: Target, senders: number): Promise<{ target: string; perSecond: number; p50: number; p99: number }> {
  const room = await newRoom(t.url);
  const tokens = await joinMany(t.url, room, senders);
  let measuring = false;
  let stored = 0;
  const latencies: number[] = [];
  let running = true;
  const loops = tokens.map(async (token, i) => {
    let n = 0;
    while (running) {
      const t0 = performance.now();
      const res = await fetch(`${t.url}/api/chats/${room}/messages/send/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: `w${i}-${n}`, session_token: token, client_id: `w${i}-${n++}` }),
      });
      await res.text();
      if (measuring && res.status === 201) {
        stored++;
        latencies.push(performance.now() - t0);
      }
    }
  });
  const elapsed = await measure((on) => (measuring = on));
  running = false;
  await Promise.all(loops);
  return { target: t.name, perSecond: stored / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99) };
}

// ---- 2. history ----------------------------------------------------------------

async function seedRoom(db: pg.Client, size: number): Promise<{ code: string; roomId: string }> {
  const code = `h${Math.random().toString(36).slice(2, 9)}`.replace(/[01ilo]/g, "x").slice(0, 8).padEnd(8, "x");
  const { rows: users } = await db.query(
    "insert into users (email, password_hash, reserved_username) values ($1, 'x', $2) returning id",
    [`seed-${code}@example.com`, `seed_${code}`],
  );
  const { rows: rooms } = await db.query("insert into chat_rooms (code, name, host_id) values ($1, $2, $3) returning id", [code, `History ${size}`, users[0].id]);
  const roomId = rooms[0].id as string;
  const chunk = 100_000;
  for (let from = 1; from <= size; from += chunk) {
    const to = Math.min(size, from + chunk - 1);
    await db.query(
      `insert into messages (id, chat_room_id, seq, username, content, created_at)
       select gen_random_uuid(), $1, s, 'seed_user', 'seeded message ' || s, now() - make_interval(secs => $2 - s)
       from generate_series($3::int, $4::int) s`,
      [roomId, size, from, to],
    );
    if (size >= 100_000) log(`  seeded ${to.toLocaleString()} / ${size.toLocaleString()}`);
  }
  await db.query("analyze messages");
  return { code, roomId };
}

async function timeQuery(db: pg.Client, sql: string, params: unknown[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await db.query(sql, params);
    out.push(performance.now() - t0);
  }
  return out;
}

async function timePage(base: string, path: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`);
    await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    out.push(performance.now() - t0);
  }
  return out;
}


const RTT_MS = 5;

/** Delays every Postgres answer in the local Neon proxy (its test hook), as distance would. */
async function setPostgresLatency(msDelay: number) {
  const proxy = `http://${stack.bindings.NEON_WS_PROXY!.replace(/\/v2$/, "")}`;
  await fetch(`${proxy}/fault/latency?ms=${msDelay}`, { method: "POST" });
}

// ---- 3. join backfill ------------------------------------------------------------

async function backfill(t: Target, redisDel: (key: string) => Promise<void>): Promise<{ source: string; p50: number; p99: number }[]> {
  const room = await newRoom(t.url);
  const [sender, reader] = await joinMany(t.url, room, 2);
  const ws = await openSocket(`${t.url.replace("http", "ws")}/ws/chat/${room}/?session_token=${sender}`);
  let acked = 0;
  ws.on("message", (d: Buffer) => {
    if (JSON.parse(String(d)).client_id) acked++;
  });
  for (let i = 0; i < 200; i++) ws.send(JSON.stringify({ message: `backlog ${i}`, client_id: `b${i}` }));
  while (acked < 200) await new Promise((r) => setTimeout(r, 50));
  ws.close();
  const rows = [];
  for (const source of ["Redis window", "Postgres"]) {
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      if (source === "Postgres") await redisDel(`chat:${room}:messages`);
      const t0 = performance.now();
      const s = await openSocket(`${t.url.replace("http", "ws")}/ws/chat/${room}/?session_token=${reader}&last_seq=150`);
      await new Promise<void>((resolve) => {
        let got = 0;
        s.on("message", (d: Buffer) => {
          if (JSON.parse(String(d)).type === "message" && ++got === 50) resolve();
        });
      });
      times.push(performance.now() - t0);
      s.close();
    }
    rows.push({ source, p50: pct(times, 50), p99: pct(times, 99) });
  }
  return rows;
}

// ---- 4. distance ------------------------------------------------------------------

const DISTANCES = [0, 20, 80];

/** Makes Postgres (both of Neon's doors) and Redis answer `msDelay` late: a database that far from the edge. */
async function setDistance(msDelay: number) {
  await setPostgresLatency(msDelay);
  const kind = msDelay > 0 ? `slow?ms=${msDelay}` : "up";
  await fetch(`${stack.bindings.UPSTASH_REDIS_REST_URL}/__fault/${kind}`, { method: "POST", headers: { Authorization: `Bearer ${stack.bindings.UPSTASH_REDIS_REST_TOKEN}` } });
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** A message to every receiver: resolves when all of them got a message whose content is `marker`. */
function allReceive(receivers: WebSocket[], marker: string): Promise<void> {
  return new Promise((resolve) => {
    let left = receivers.length;
    for (const r of receivers) {
      const on = (d: Buffer) => {
        if (JSON.parse(String(d)).content === marker) {
          r.off("message", on);
          if (--left === 0) resolve();
        }
      };
      r.on("message", on);
    }
  });
}

interface DistanceRoom {
  code: string;
  sender: WebSocket;
  receivers: WebSocket[];
  tokens: string[];
}

async function distanceRoom(t: Target): Promise<DistanceRoom> {
  const code = await newRoom(t.url);
  const tokens = await joinMany(t.url, code, 51);
  const ws = t.url.replace("http", "ws");
  const [sender, ...receivers] = await Promise.all(tokens.map((tk) => openSocket(`${ws}/ws/chat/${code}/?session_token=${tk}`)));
  for (let i = 0; i < 100; i++) {
    const done = allReceive([sender!], `seed ${i}`);
    sender!.send(JSON.stringify({ message: `seed ${i}` }));
    await done;
  }
  return { code, sender: sender!, receivers, tokens };
}

async function socketSendToAll(room: DistanceRoom): Promise<number[]> {
  let n = 0;
  return timed(SAMPLES, async () => {
    const marker = `fan ${n++} ${Math.random()}`;
    const done = allReceive(room.receivers, marker);
    room.sender.send(JSON.stringify({ message: marker }));
    await done;
  });
}

type DistanceRow = { op: string; byDistance: Map<number, number[]> };

async function distance(app: Target, strictApp: Target): Promise<DistanceRow[]> {
  const rows = new Map<string, DistanceRow>();
  const add = (op: string, d: number, values: number[]) => {
    if (!rows.has(op)) rows.set(op, { op, byDistance: new Map() });
    rows.get(op)!.byDistance.set(d, values);
  };
  const room = await distanceRoom(app);
  const strictRoom = await distanceRoom(strictApp);
  const base = app.url;
  for (const d of DISTANCES) {
    log(`  Postgres and Redis ${d} ms away…`);
    await setDistance(d);
    add("history page (50)", d, await timed(SAMPLES, () => call(base, "GET", `/api/chats/${room.code}/messages/?limit=50`)));
    add("room details", d, await timed(SAMPLES, () => call(base, "GET", `/api/chats/${room.code}/`)));
    let j = 0;
    add("anonymous join", d, await timed(SAMPLES, () => call(base, "POST", `/api/chats/${room.code}/join/`, { username: `j${d}_${j}_${Math.floor(Math.random() * 1e5)}`.slice(0, 15), fingerprint: `dist-${d}-${j++}-${Math.random()}` })));
    let r = 0;
    add("REST send", d, await timed(SAMPLES, () => call(base, "POST", `/api/chats/${room.code}/messages/send/`, { session_token: room.tokens[1], message: `rest ${d} ${r++}` })));
    add("socket send → 50 receivers (room commit)", d, await socketSendToAll(room));
    add("socket send → 50 receivers (postgres commit)", d, await socketSendToAll(strictRoom));
    const ws = base.replace("http", "ws");
    add("connect + backfill of 20", d, await timed(SAMPLES, async () => {
      const newest = (await call(base, "GET", `/api/chats/${room.code}/messages/?limit=1`)).messages[0].seq as number;
      const t0 = performance.now();
      const s = await openSocket(`${ws}/ws/chat/${room.code}/?session_token=${room.tokens[2]}&last_seq=${newest - 20}`);
      await new Promise<void>((resolve) => {
        let got = 0;
        s.on("message", (m: Buffer) => JSON.parse(String(m)).type === "message" && ++got === 20 && resolve());
      });
      s.close();
      return performance.now() - t0;
    }));
    // From the broadcast reaching a receiver to the message being in a REST history page.
    const lag: number[] = [];
    for (let i = 0; i < Math.min(SAMPLES, 10); i++) {
      const marker = `lag ${d} ${i} ${Math.random()}`;
      const done = allReceive([room.receivers[0]!], marker);
      room.sender.send(JSON.stringify({ message: marker }));
      await done;
      const t0 = performance.now();
      while ((await call(base, "GET", `/api/chats/${room.code}/messages/?limit=1`)).messages[0]?.content !== marker) {
        // each poll is itself a round trip at this distance
      }
      lag.push(performance.now() - t0);
    }
    add("readable over REST after the broadcast", d, lag);
  }
  await setDistance(0);
  for (const r of [room, strictRoom]) [r.sender, ...r.receivers].forEach((s) => s.close());
  return [...rows.values()];
}

/** Open loop: 100 sends/s from this process, 50 receivers in another; latency send → each receiver. */
async function openLoop(t: Target, bare: boolean): Promise<{ target: string; p50: number; p99: number; delivered: number; expected: number }> {
  const ws = t.url.replace("http", "ws");
  let urls: string[];
  let senderUrl: string;
  if (bare) {
    const room = `open-${Math.random().toString(36).slice(2)}`;
    urls = Array.from({ length: 50 }, () => `${ws}/room/${room}`);
    senderUrl = `${ws}/room/${room}`;
  } else {
    const room = await newRoom(t.url);
    const tokens = await joinMany(t.url, room, 51);
    senderUrl = `${ws}/ws/chat/${room}/?session_token=${tokens[0]}`;
    urls = tokens.slice(1).map((tk) => `${ws}/ws/chat/${room}/?session_token=${tk}`);
  }
  const child = spawn(process.execPath, [`${root}bench/receivers.ts`, JSON.stringify({ urls, seconds: SECONDS })], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = linesOf(child);
  while (!lines.includes("ready")) await new Promise((r) => setTimeout(r, 20));
  const sender = await openSocket(senderUrl);
  const now = () => performance.timeOrigin + performance.now();
  // 1 s of warm-up, then SECONDS measured (the receivers keep the same clock).
  let n = 0;
  const sends = (SECONDS + 1) * 100;
  const started = performance.now();
  while (n < sends) {
    const due = started + n * 10;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sender.send(JSON.stringify({ message: String(now()), client_id: `o${n++}` }));
  }
  await new Promise<void>((resolve) => child.on("exit", () => resolve()));
  sender.close();
  const result = JSON.parse(lines.find((l) => l.startsWith("{"))!) as { latencies: number[]; expected: number };
  return { target: t.name, p50: pct(result.latencies, 50), p99: pct(result.latencies, 99), delivered: result.latencies.length, expected: SECONDS * 100 * result.expected };
}

function distanceReport(rows: DistanceRow[], open: { target: string; p50: number; p99: number; delivered: number; expected: number }[]): string[] {
  const far = DISTANCES.at(-1)!;
  const header = DISTANCES.map((d) => `${d} ms p50 / p99`).join(" | ");
  const multiple = (r: DistanceRow) => {
    const p50 = pct(r.byDistance.get(far)!, 50);
    return `${(p50 / far).toFixed(2)}×`;
  };
  const full = open.find((o) => o.target === "full pipeline");
  const bare = open.find((o) => o.target === "bare broadcast");
  return [
    "## 4. Distance: Postgres and Redis made 0, 20 and 80 ms away",
    "",
    `Every answer of the Neon stand-in (WebSocket and HTTP) and of the Upstash stand-in is delayed by the distance, as a database region that far from the edge would be. Last column: p50 at ${far} ms as a multiple of the distance.`,
    "",
    `| operation | ${header} | p50 at ${far} ms ÷ ${far} ms |`,
    `|---|${DISTANCES.map(() => "---:").join("|")}|---:|`,
    ...rows.map((r) => `| ${r.op} | ${DISTANCES.map((d) => `${ms(pct(r.byDistance.get(d)!, 50))} / ${ms(pct(r.byDistance.get(d)!, 99))}`).join(" | ")} | ${multiple(r)} |`),
    "",
    `Open loop on loopback: 100 sends/s from one process, 50 receivers in another, ${SECONDS} s measured after 1 s of warm-up.`,
    "",
    "| target | send → receiver p50 (ms) | p99 (ms) | deliveries measured |",
    "|---|---:|---:|---:|",
    ...open.map((o) => `| ${o.target} | ${ms(o.p50)} | ${ms(o.p99)} | ${o.delivered} of ~${o.expected} |`),
    "",
    full && bare
      ? `Full pipeline vs bare room: p50 +${ms(full.p50 - bare.p50)} ms (goal ≤ +3 ms), p99 ${ratio(full.p99, bare.p99)}× (goal ≤ 2×).`
      : "",
  ];
}

async function runDistance(app: Target): Promise<string[]> {
  log("4/4 distance: Postgres and Redis 0, 20 and 80 ms away, both commit modes…");
  const strictTarget = await startTarget("full pipeline, postgres commit", { ...appVars, SEND_COMMIT: "postgres" });
  targets.push(strictTarget);
  const rows = await distance(app, strictTarget);
  await strictTarget.dev.stop();
  log("4b open loop: 100 sends/s, 50 receivers in a separate process, full pipeline vs bare room…");
  const openFull = await openLoop(app, false);
  const bareTarget = await startTarget("bare broadcast", {}, `${root}bench/bare.wrangler.toml`);
  targets.push(bareTarget);
  const openBare = await openLoop(bareTarget, true);
  await bareTarget.dev.stop();
  log(`  open loop p50: full ${ms(openFull.p50)} ms, bare ${ms(openBare.p50)} ms`);
  return distanceReport(rows, [openFull, openBare]);
}

// ---- 5. big rooms ------------------------------------------------------------------

/** Listener processes: the listeners' JSON parsing must not share a core's event loop with the sender. */
const LISTENER_PROCESSES = 2;
/** Participants the listeners' sockets are spread over (each holds many sockets, as tabs would). */
const LISTENER_SESSIONS = 20;
const BIG_ROOM_RELAYS = [0, 2, 4];
/** Sends in flight from the one sender in the saturation phase. */
const BIG_ROOM_WINDOW = 8;
/** Light load: about 4,000 deliveries a second (a fifth of what one object sends here), at most 20 sends/s, to see latency without queueing. */
const lightRate = (listeners: number) => Math.min(20, Math.max(1, Math.round(4000 / listeners)));
/** The hop alone: a small audience (its fan-out costs little) in the room vs behind one relay. */
const HOP_LISTENERS = 50;

interface BigRoomRow {
  target: string;
  relays: number;
  listeners: number;
  lightP50: number;
  lightP99: number;
  deliveriesPerSecond: number;
  satP50: number;
  satP99: number;
  /** workerd's CPU use during the saturation phase, in cores (above 1: objects ran in parallel). */
  workerdCores: number;
  /** µs of workerd CPU per delivered frame. */
  cpuPerDelivery: number;
  listenerCpu: number[];
}

/** CPU seconds the workerd processes under this wrangler dev have used so far (Linux /proc). */
function workerdCpuSeconds(dev: WranglerDev): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (!stat.includes("(workerd)") || !descendsFrom(Number(entry), dev.child.pid!)) continue;
      const fields = stat.split(") ")[1]!.split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

interface ListenerProcess {
  ready: Promise<void>;
  report(): Promise<{ phases: Record<string, { at: number[]; latency: number[] }>; cpuShare: number }>;
}

function spawnListeners(sockets: { url: string; ip: string }[]): ListenerProcess {
  const child = spawn(process.execPath, [`${root}bench/listeners.ts`], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin.write(`${JSON.stringify({ sockets })}\n`);
  const lines = linesOf(child);
  let exited: number | null = null;
  child.on("close", (code) => (exited = code ?? -1));
  const waitFor = async (match: (l: string) => boolean) => {
    while (!lines.some(match)) {
      if (exited !== null && !lines.some(match)) throw new Error(`a listener process ended (exit ${exited}) before it answered`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return lines.find(match)!;
  };
  return {
    ready: waitFor((l) => l === "ready").then(() => undefined),
    async report() {
      const file = join(tmpdir(), `chatpop-listeners-${child.pid}.json`);
      child.stdin.write(`report ${file}\n`);
      await waitFor((l) => l === "reported");
      const report = JSON.parse(readFileSync(file, "utf8"));
      rmSync(file, { force: true });
      return report;
    },
  };
}

/** One room of `listeners` listeners, behind `relays` relays (0: the room holds every socket); light load, then saturation. */
async function bigRoom(relays: number, listeners = LISTENERS, saturate = true): Promise<BigRoomRow> {
  const name = relays === 0 ? "1 room object" : `room + ${relays} relays`;
  // The sender connects first and stays in the room; every later socket goes to a relay.
  const t = await startTarget(name, { ...appVars, RELAY_COUNT: String(relays), RELAY_AFTER_SOCKETS: "1", MAX_SOCKETS_PER_ROOM: "1000000" });
  targets.push(t);
  const wsBase = t.url.replace("http", "ws");
  const room = await newRoom(t.url);
  const tokens = await joinMany(t.url, room, 1 + LISTENER_SESSIONS);
  const sender = await openSocket(`${wsBase}/ws/chat/${room}/?session_token=${tokens[0]}`);
  const sockets = Array.from({ length: listeners }, (_, i) => ({
    url: `${wsBase}/ws/chat/${room}/?session_token=${tokens[1 + (i % LISTENER_SESSIONS)]}`,
    ip: nextIp(),
  }));
  const procs = Array.from({ length: LISTENER_PROCESSES }, (_, p) => spawnListeners(sockets.filter((_s, i) => i % LISTENER_PROCESSES === p)));
  await Promise.all(procs.map((p) => p.ready));
  log(`  ${name}: ${listeners} listeners connected in ${LISTENER_PROCESSES} processes`);
  const now = () => performance.timeOrigin + performance.now();
  let n = 0;
  // Light load, open loop.
  const lightEnd = performance.now() + SECONDS * 1000;
  while (performance.now() < lightEnd) {
    sender.send(JSON.stringify({ message: `light:${now()}`, client_id: `l${n++}` }));
    await new Promise((r) => setTimeout(r, 1000 / lightRate(listeners)));
  }
  await new Promise((r) => setTimeout(r, 1000));
  // Saturation: BIG_ROOM_WINDOW sends in flight, each ack frees a slot; 2 s of warm-up, then SECONDS measured.
  let phase = "warm";
  let running = true;
  const send = () => {
    if (running) sender.send(JSON.stringify({ message: `${phase}:${now()}`, client_id: `s${n++}` }));
  };
  sender.on("message", (d: Buffer) => {
    const f = JSON.parse(String(d));
    if (f.type === "message" && typeof f.client_id === "string" && f.client_id.startsWith("s")) send();
    if (f.type === "error") setTimeout(send, 50);
  });
  if (saturate) for (let k = 0; k < BIG_ROOM_WINDOW; k++) send();
  await new Promise((r) => setTimeout(r, saturate ? 2000 : 0));
  phase = "sat";
  const cpu0 = workerdCpuSeconds(t.dev);
  const t0 = now();
  await new Promise((r) => setTimeout(r, saturate ? SECONDS * 1000 : 0));
  const t1 = now();
  const cpu1 = workerdCpuSeconds(t.dev);
  phase = "tail";
  running = false;
  await new Promise((r) => setTimeout(r, saturate ? 2000 : 0));
  const reports = await Promise.all(procs.map((p) => p.report()));
  sender.close();
  await t.dev.stop();
  const light = reports.flatMap((r) => r.phases.light?.latency ?? []);
  const satLatency = reports.flatMap((r) => r.phases.sat?.latency ?? []);
  const satArrivals = reports.flatMap((r) => r.phases.sat?.at ?? []).filter((at) => at >= t0 && at <= t1).length;
  const seconds = (t1 - t0) / 1000;
  return {
    target: name,
    relays,
    listeners,
    lightP50: pct(light, 50),
    lightP99: pct(light, 99),
    deliveriesPerSecond: saturate ? satArrivals / seconds : NaN,
    satP50: pct(satLatency, 50),
    satP99: pct(satLatency, 99),
    workerdCores: saturate ? (cpu1 - cpu0) / seconds : NaN,
    cpuPerDelivery: satArrivals > 0 ? ((cpu1 - cpu0) * 1e6) / satArrivals : NaN,
    listenerCpu: reports.map((r) => r.cpuShare),
  };
}

async function runBigRoom(): Promise<string[]> {
  log(`5 big rooms: ${LISTENERS} listeners, one room object vs the room + ${BIG_ROOM_RELAYS.filter(Boolean).join(" and ")} relays…`);
  const rows: BigRoomRow[] = [];
  for (const relays of BIG_ROOM_RELAYS) {
    rows.push(await bigRoom(relays));
    const r = rows.at(-1)!;
    log(`  ${r.target}: ${Math.round(r.deliveriesPerSecond)} deliveries/s, light p50 ${ms(r.lightP50)} ms, workerd ${r.workerdCores.toFixed(2)} cores`);
  }
  log(`  the hop alone: ${HOP_LISTENERS} listeners in the room vs behind one relay, ${lightRate(HOP_LISTENERS)} sends/s…`);
  const [direct, relayed] = [await bigRoom(0, HOP_LISTENERS, false), await bigRoom(1, HOP_LISTENERS, false)];
  const hop = relayed!.lightP50 - direct!.lightP50;
  const single = rows[0]!;
  const parallel = rows.some((r) => r.workerdCores > 1.3);
  return [
    "## 5. Big rooms: one room object vs the room + K relays",
    "",
    `${LISTENERS} listeners over ${LISTENER_SESSIONS} participants, each socket from its own address, in ${LISTENER_PROCESSES} separate processes; one sender in this process, connected first (it stays in the room; every later socket goes to a relay). Light load: ${lightRate(LISTENERS)} sends/s for ${SECONDS} s (send → listener latency; on one thread it includes waiting for the other objects' fan-out). Saturation: ${BIG_ROOM_WINDOW} sends in flight, ${SECONDS} s measured after 2 s of warm-up.`,
    "",
    "| target | light p50 / p99 (ms) | saturated deliveries/s | saturated p50 / p99 (ms) | workerd CPU (cores) | workerd µs per delivery | listener processes' CPU (share of a core) |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.target} | ${ms(r.lightP50)} / ${ms(r.lightP99)} | ${Math.round(r.deliveriesPerSecond)} | ${ms(r.satP50)} / ${ms(r.satP99)} | ${r.workerdCores.toFixed(2)} | ${r.cpuPerDelivery.toFixed(1)} | ${r.listenerCpu.map((c) => c.toFixed(2)).join(", ")} |`,
    ),
    "",
    `The hop alone (${HOP_LISTENERS} listeners, ${lightRate(HOP_LISTENERS)} sends/s): in the room p50 ${ms(direct!.lightP50)} / p99 ${ms(direct!.lightP99)} ms, behind one relay p50 ${ms(relayed!.lightP50)} / p99 ${ms(relayed!.lightP99)} ms: **+${ms(hop)} ms** at p50 for room → relay → socket on loopback.`,
    "",
    parallel
      ? "Local workerd used more than one core: it ran the room's objects in parallel, so the relay rows measure the fan-out tree directly."
      : `Local workerd ran every object on one thread (never above ${Math.max(...rows.map((r) => r.workerdCores)).toFixed(2)} cores): the relay rows cannot show the tree's gain here, only its cost. On Cloudflare each object has its own thread, so the model applies:`,
    "",
    ...rows
      .filter((r) => r.relays > 0)
      .map(
        (r) =>
          `- room + ${r.relays} relays: deliveries/s ≈ (frames/s of one object, ${Math.round(single.deliveriesPerSecond)} measured above) × ${r.relays} = **${Math.round(single.deliveriesPerSecond * r.relays)}**/s, bounded by the room's own work per message (commit + ${r.relays} relay calls), plus the hop's +${ms(hop)} ms; ${ratio(r.cpuPerDelivery, single.cpuPerDelivery)}× the workerd CPU per delivery of the single object (${(r.deliveriesPerSecond / single.deliveriesPerSecond).toFixed(2)}× its deliveries/s on this one thread).`,
      ),
    "",
    `Listener processes above ${(0.9).toFixed(1)} of a core would mean the client limited the run; the table shows their share.`,
  ];
}

// ---- 6. flood ------------------------------------------------------------------------

/** Section 6 on a Worker of its own with the production frame, send and connect limits. */
async function flood(): Promise<string[]> {
  const production = ["FRAME_BURST", "FRAME_PER_SECOND", "CONNECTS_PER_MINUTE", "CONNECTS_PER_MINUTE_PER_IP", "SEND_BURST", "SEND_PER_SECOND"];
  const target = await startTarget("flood", Object.fromEntries(Object.entries(appVars).filter(([k]) => !production.includes(k))));
  targets.push(target);
  const bareTarget = await startTarget("bare broadcast", {}, `${root}bench/bare.wrangler.toml`);
  targets.push(bareTarget);
  try {
    return await runFlood({ url: target.url, bareUrl: bareTarget.url, call, seconds: SECONDS, log });
  } finally {
    await target.dev.stop();
    await bareTarget.dev.stop();
  }
}

// ---- the run ------------------------------------------------------------------------

const started = Date.now();
log("starting the local stack…");
const stack: SpawnedStack = await spawnStack();
const appVars = {
  ...stack.bindings,
  JWT_SECRET: "bench-only-secret-0123456789abcdef",
  ...LOAD_RUN_VARS,
  SEND_BURST: "10000000",
  SEND_PER_SECOND: "10000000",
};
const report: string[] = [];
const targets: Target[] = [];
const DONE = Symbol("done");

function writeReport(text: string) {
  console.log(`\n${text}\n`);
  mkdirSync(`${root}bench/results`, { recursive: true });
  const file = `${root}bench/results/bench-${new Date().toISOString().replace(/[:.]/g, "-")}.md`;
  writeFileSync(file, `${text}\n`);
  log(`report written to ${file.slice(root.length)}`);
}
let exitCode = 0;
try {
  log("starting the Worker (wrangler dev) and finding its own workerd port…");
  const app = await startTarget("full pipeline", appVars);
  targets.push(app);
  if (opt.only === "open-loop") {
    // A quick look at the loopback latency alone: the full pipeline in both commit modes and the bare room.
    const strictTarget = await startTarget("full pipeline, postgres commit", { ...appVars, SEND_COMMIT: "postgres" });
    targets.push(strictTarget);
    const bareTarget = await startTarget("bare broadcast", {}, `${root}bench/bare.wrangler.toml`);
    targets.push(bareTarget);
    const rows = [await openLoop(app, false), await openLoop(strictTarget, false), await openLoop(bareTarget, true)];
    report.push(`# ChatPop Edge benchmark (open loop only) — ${new Date().toISOString()}`, "", `Postgres: ${stack.postgres}; Redis: ${stack.redis}.`, "", ...distanceReport([], rows).slice(8));
    writeReport(report.join("\n"));
    throw DONE;
  }
  if (opt.only === "big-room") {
    report.push(`# ChatPop Edge benchmark (big rooms only) — ${new Date().toISOString()}`, "", `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; Postgres: ${stack.postgres}; Redis: ${stack.redis}.${quick ? " (--quick)" : ""}`, "", ...(await runBigRoom()), "", `Run time: ${Math.round((Date.now() - started) / 1000)} s.`);
    writeReport(report.join("\n"));
    throw DONE;
  }
  if (opt.only === "flood") {
    report.push(`# ChatPop Edge benchmark (flood only) — ${new Date().toISOString()}`, "", `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; Postgres: ${stack.postgres}; Redis: ${stack.redis}.${quick ? " (--quick)" : ""}`, "", ...(await flood()), "", `Run time: ${Math.round((Date.now() - started) / 1000)} s.`);
    writeReport(report.join("\n"));
    throw DONE;
  }
  if (opt.only === "distance") {
    report.push(`# ChatPop Edge benchmark (distance only) — ${new Date().toISOString()}`, "", `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; Postgres: ${stack.postgres}; Redis: ${stack.redis}; ${SAMPLES} samples per figure.${quick ? " (--quick)" : ""}`, "", ...(await runDistance(app)), "", `Run time: ${Math.round((Date.now() - started) / 1000)} s.`);
    writeReport(report.join("\n"));
    throw DONE;
  }

  const versions = {
    node: process.version,
    wrangler: JSON.parse(readFileSync(`${root}node_modules/wrangler/package.json`, "utf8")).version,
    workerd: JSON.parse(readFileSync(`${root}node_modules/workerd/package.json`, "utf8")).version,
    postgres: stack.postgres,
    redis: stack.redis,
  };
  const db = new pg.Client({ connectionString: stack.bindings.DATABASE_URL });
  await db.connect();
  const pgVersion = (await db.query("select version()")).rows[0].version as string;

  log("0/3 transport: wrangler dev proxy vs the Worker's own workerd port…");
  const transportRows = await transport(app);

  log(`1/3 fan-out: ${CLIENTS} clients, ${SENDERS} senders, ${SECONDS} s each…`);
  const full = await fanout(app, false, CLIENTS, SENDERS);
  log(`  full pipeline: ${Math.round(full.deliveriesPerSecond)} deliveries/s`);
  const bareTarget = await startTarget("bare broadcast", {}, `${root}bench/bare.wrangler.toml`);
  targets.push(bareTarget);
  const bare = await fanout(bareTarget, true, CLIENTS, SENDERS);
  log(`  bare broadcast: ${Math.round(bare.deliveriesPerSecond)} deliveries/s`);
  await bareTarget.dev.stop();
  const unbatchedTarget = await startTarget("full pipeline, batching off", { ...appVars, WRITE_BATCH_MAX: "1" });
  targets.push(unbatchedTarget);
  const unbatchedFanout = await fanout(unbatchedTarget, false, CLIENTS, SENDERS);
  log(`1b/3 writes: ${BATCH_SENDERS} concurrent REST senders, batched vs one INSERT per message…`);
  const batchedWrites = await writeThroughput(app, BATCH_SENDERS);
  const unbatchedWrites = await writeThroughput(unbatchedTarget, BATCH_SENDERS);
  // The same with Postgres 5 ms away (each query answered 5 ms late, as from an edge location to Neon).
  await setPostgresLatency(RTT_MS);
  const batchedFar = await writeThroughput(app, BATCH_SENDERS);
  const unbatchedFar = await writeThroughput(unbatchedTarget, BATCH_SENDERS);
  await setPostgresLatency(0);
  await unbatchedTarget.dev.stop();

  log(`2/3 history: seeding rooms of ${HISTORY_SIZES.map((n) => n.toLocaleString()).join(", ")} messages in bulk…`);
  const history = [];
  for (const size of HISTORY_SIZES) {
    const seeded = await seedRoom(db, size);
    const deepSeq = Math.max(51, Math.floor(size * 0.1)); // a page 90% of the way back
    const keysetNewest = await timeQuery(db, "select id, seq from messages where chat_room_id = $1 and channel = 'main' and not is_deleted order by seq desc limit 51", [seeded.roomId]);
    const keysetDeep = await timeQuery(db, "select id, seq from messages where chat_room_id = $1 and channel = 'main' and not is_deleted and seq < $2 order by seq desc limit 51", [seeded.roomId, deepSeq]);
    const offsetDeep = await timeQuery(db, "select id, seq from messages where chat_room_id = $1 and channel = 'main' and not is_deleted order by seq desc offset $2 limit 51", [seeded.roomId, size - deepSeq]);
    const apiNewest = await timePage(app.url, `/api/chats/${seeded.code}/messages/?limit=50`);
    const apiDeep = await timePage(app.url, `/api/chats/${seeded.code}/messages/?limit=50&before=${encodeCursor(deepSeq)}`);
    history.push({ size, keysetNewest, keysetDeep, offsetDeep, apiNewest, apiDeep });
    log(`  ${size.toLocaleString()}: API deep page p50 ${ms(pct(apiDeep, 50))} ms, OFFSET deep ${ms(pct(offsetDeep, 50))} ms`);
  }

  log("3/3 join backfill: the last 50 messages from the Redis window vs from Postgres…");
  const { Redis } = await import("@upstash/redis");
  const redis = new Redis({ url: stack.bindings.UPSTASH_REDIS_REST_URL, token: stack.bindings.UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false });
  const backfillRows = await backfill(app, async (key) => void (await redis.del(key)));
  await db.end();

  // ---- the report ----
  const small = history[0]!;
  const large = history.at(-1)!;
  const growth = pct(large.apiDeep, 50) / pct(small.apiDeep, 50);
  const fullVsBare = full.deliveriesPerSecond / bare.deliveriesPerSecond;
  const batchGain = batchedWrites.perSecond / unbatchedWrites.perSecond;
  report.push(
    `# ChatPop Edge benchmark — ${new Date().toISOString()}`,
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}.`,
    `Versions: Node ${versions.node}, wrangler ${versions.wrangler}, workerd ${versions.workerd}; Postgres: ${versions.postgres} (${pgVersion.split(" on ")[0]}); Redis: ${versions.redis}.`,
    `Settings: ${CLIENTS} clients per fan-out room, ${SENDERS} senders × ${WINDOW} in flight, ${SECONDS} s measured after 2 s of warm-up; ${BATCH_SENDERS} REST senders for the write test; ${SAMPLES} samples per history and backfill figure.${quick ? " (--quick)" : ""}`,
    `The bench talks to ${app.direct ? "the Worker's own workerd port (found next to wrangler dev's proxy)" : "wrangler dev's proxy (the direct port was not found)"}. Ratios compare figures from this same run.`,
    "",
    "## 0. Transport",
    "",
    "| path | HTTP GET / p50 (ms) | WebSocket ping→pong p50 (ms) |",
    "|---|---:|---:|",
    ...transportRows.map((r) => `| ${r.path} | ${ms(r.http)} | ${ms(r.ws)} |`),
    "",
    "## 1. Fan-out",
    "",
    "| target | clients | senders | deliveries/s | messages/s | p50 (ms) | p95 (ms) | p99 (ms) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...[full, bare, unbatchedFanout].map((r) => `| ${r.target} | ${r.clients} | ${r.senders} | ${Math.round(r.deliveriesPerSecond)} | ${Math.round(r.messagesPerSecond)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} |`),
    "",
    `Full pipeline / bare broadcast (deliveries/s): **${fullVsBare.toFixed(2)}×** (goal ≥ 0.8×).`,
    "",
    `Writes with ${BATCH_SENDERS} concurrent senders (REST, same pipeline):`,
    "",
    "| writes | stored/s | send p50 (ms) | send p99 (ms) |",
    "|---|---:|---:|---:|",
    `| batched (up to 200 per INSERT) | ${Math.round(batchedWrites.perSecond)} | ${ms(batchedWrites.p50)} | ${ms(batchedWrites.p99)} |`,
    `| one INSERT per message | ${Math.round(unbatchedWrites.perSecond)} | ${ms(unbatchedWrites.p50)} | ${ms(unbatchedWrites.p99)} |`,
    `| batched, Postgres ${RTT_MS} ms away | ${Math.round(batchedFar.perSecond)} | ${ms(batchedFar.p50)} | ${ms(batchedFar.p99)} |`,
    `| one INSERT per message, Postgres ${RTT_MS} ms away | ${Math.round(unbatchedFar.perSecond)} | ${ms(unbatchedFar.p50)} | ${ms(unbatchedFar.p99)} |`,
    "",
    `Batching buys **${batchGain.toFixed(2)}×** on loopback and **${(batchedFar.perSecond / unbatchedFar.perSecond).toFixed(2)}×** with Postgres ${RTT_MS} ms away (goal ≥ 3×).`,
    "",
    "## 2. History (pages of 50)",
    "",
    "| messages | API newest p50/p99 (ms) | API deep p50/p99 (ms) | SQL keyset newest p50 | SQL keyset deep p50 | SQL OFFSET deep p50 | OFFSET / keyset (deep) |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    ...history.map(
      (h) =>
        `| ${h.size.toLocaleString()} | ${ms(pct(h.apiNewest, 50))} / ${ms(pct(h.apiNewest, 99))} | ${ms(pct(h.apiDeep, 50))} / ${ms(pct(h.apiDeep, 99))} | ${ms(pct(h.keysetNewest, 50))} | ${ms(pct(h.keysetDeep, 50))} | ${ms(pct(h.offsetDeep, 50))} | ${ratio(pct(h.offsetDeep, 50), pct(h.keysetDeep, 50))}× |`,
    ),
    "",
    `Deep page (90% back) through the API, ${large.size.toLocaleString()} vs ${small.size.toLocaleString()} messages: **${growth.toFixed(2)}×** (goal ≤ 1.5×); SQL keyset ${ratio(pct(large.keysetDeep, 50), pct(small.keysetDeep, 50))}×, SQL OFFSET ${ratio(pct(large.offsetDeep, 50), pct(small.offsetDeep, 50))}×.`,
    "",
    "## 3. Join backfill (last 50 of 200 messages, connect → 50th message)",
    "",
    "| source | p50 (ms) | p99 (ms) |",
    "|---|---:|---:|",
    ...backfillRows.map((r) => `| ${r.source} | ${ms(r.p50)} | ${ms(r.p99)} |`),
    "",
    `Postgres / Redis window (p50): ${ratio(backfillRows[1]!.p50, backfillRows[0]!.p50)}×.`,
    "",
    ...(await runDistance(app)),
    "",
    ...(await runBigRoom()),
    "",
    ...(await flood()),
    "",
    `Run time: ${Math.round((Date.now() - started) / 1000)} s.`,
  );
  writeReport(report.join("\n"));
} catch (e) {
  if (e !== DONE) {
    console.error(`[bench] error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    exitCode = 1;
  }
} finally {
  for (const t of targets) await t.dev.stop();
  await stack.stop();
}
process.exit(exitCode);
