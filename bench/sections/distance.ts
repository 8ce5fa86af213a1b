// Section 4: distance. Postgres and Redis made 0, 20 and 80 ms away by the
// stand-ins' latency hooks: each user-facing operation's p50/p99 and its
// multiple of the distance, in both commit modes; and the open loop (100
// sends/s, 50 receivers in a process of their own), full pipeline vs bare room.
import { spawn } from "node:child_process";
import type { WebSocket } from "ws";
import type { BenchContext } from "../context.ts";
import { call, joinMany, linesOf, newRoom, root, type Target } from "../lib.ts";
import { allReceive, ms, openReceiving, openSocket, pct } from "../measure.ts";

const DISTANCES = [0, 20, 80];

/** n samples of fn's time; fn may answer a number of ms itself (the part it measures, after its setup). */
async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const own = await fn();
    out.push(typeof own === "number" ? own : performance.now() - t0);
  }
  return out;
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

async function socketSendToAll(ctx: BenchContext, room: DistanceRoom): Promise<number[]> {
  let n = 0;
  return timed(ctx.opt.samples, async () => {
    const marker = `fan ${n++} ${Math.random()}`;
    const done = allReceive(room.receivers, marker);
    room.sender.send(JSON.stringify({ message: marker }));
    await done;
  });
}

type DistanceRow = { op: string; byDistance: Map<number, number[]> };

async function distance(ctx: BenchContext, app: Target, strictApp: Target): Promise<DistanceRow[]> {
  const rows = new Map<string, DistanceRow>();
  const add = (op: string, d: number, values: number[]) => {
    ctx.log(`    ${op}: p50 ${ms(pct(values, 50))} ms`);
    if (!rows.has(op)) rows.set(op, { op, byDistance: new Map() });
    rows.get(op)!.byDistance.set(d, values);
  };
  const room = await distanceRoom(app);
  const strictRoom = await distanceRoom(strictApp);
  const base = app.url;
  for (const d of DISTANCES) {
    ctx.log(`  Postgres and Redis ${d} ms away…`);
    await ctx.setDistance(d);
    add("history page (50)", d, await timed(ctx.opt.samples, () => call(base, "GET", `/api/chats/${room.code}/messages/?limit=50`)));
    add("room details", d, await timed(ctx.opt.samples, () => call(base, "GET", `/api/chats/${room.code}/`)));
    let j = 0;
    add("anonymous join", d, await timed(ctx.opt.samples, () => call(base, "POST", `/api/chats/${room.code}/join/`, { username: `j${d}_${j}_${Math.floor(Math.random() * 1e5)}`.slice(0, 15), fingerprint: `dist-${d}-${j++}-${Math.random()}` })));
    let r = 0;
    add("REST send", d, await timed(ctx.opt.samples, () => call(base, "POST", `/api/chats/${room.code}/messages/send/`, { session_token: room.tokens[1], message: `rest ${d} ${r++}` })));
    add("socket send → 50 receivers (room commit)", d, await socketSendToAll(ctx, room));
    add("socket send → 50 receivers (postgres commit)", d, await socketSendToAll(ctx, strictRoom));
    const ws = base.replace("http", "ws");
    add("connect + backfill of 20", d, await timed(ctx.opt.samples, async () => {
      const newest = (await call(base, "GET", `/api/chats/${room.code}/messages/?limit=1`)).messages[0].seq as number;
      const t0 = performance.now();
      const s = await openReceiving(`${ws}/ws/chat/${room.code}/?session_token=${room.tokens[2]}&last_seq=${newest - 20}`, 20);
      s.close();
      return performance.now() - t0;
    }));
    // A visitor's first screen, from the room code to an open socket: the original web client's calls
    // in its order, then the typed client's (one entry and the socket).
    let v = 0;
    const visitor = () => ({ username: `v${d}_${v++}_${Math.floor(Math.random() * 1e4)}`.slice(0, 15), fingerprint: `visit-${d}-${v}-${Math.random()}` });
    const openAndClose = async (token: string, after: number) => (await openSocket(`${ws}/ws/chat/${room.code}/?session_token=${token}&last_seq=${after}`)).close();
    add("first visit: original client (7 calls)", d, await timed(ctx.opt.samples, async () => {
      const me = visitor();
      const q = `?fingerprint=${encodeURIComponent(me.fingerprint)}`;
      await call(base, "GET", `/api/chats/${room.code}/`);
      await call(base, "GET", `/api/chats/${room.code}/my-participation/${q}`);
      await call(base, "GET", `/api/chats/${room.code}/check-rate-limit/${q}`);
      await call(base, "POST", `/api/chats/${room.code}/validate-username/`, me);
      const joined = await call(base, "POST", `/api/chats/${room.code}/join/`, me);
      const page = await call(base, "GET", `/api/chats/${room.code}/messages/?limit=50`, undefined, { "X-Session-Token": joined.session_token });
      await openAndClose(joined.session_token, page.messages.at(-1).seq);
    }));
    add("first visit: typed client (enter + socket)", d, await timed(ctx.opt.samples, async () => {
      const entered = await call(base, "POST", `/api/chats/${room.code}/enter/`, visitor());
      await openAndClose(entered.session_token, entered.history.messages.at(-1).seq);
    }));
    // From the broadcast reaching a receiver to the message being in a REST history page.
    const lag: number[] = [];
    for (let i = 0; i < Math.min(ctx.opt.samples, 10); i++) {
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
  await ctx.setDistance(0);
  for (const r of [room, strictRoom]) [r.sender, ...r.receivers].forEach((s) => s.close());
  return [...rows.values()];
}

/** Open loop: 100 sends/s from this process, 50 receivers in another; latency send → each receiver. */
async function openLoop(ctx: BenchContext, t: Target, bare: boolean): Promise<OpenLoopRow> {
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
  const child = spawn(process.execPath, [`${root}bench/receivers.ts`, JSON.stringify({ urls, seconds: ctx.opt.seconds })], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = linesOf(child);
  while (!lines.includes("ready")) await new Promise((r) => setTimeout(r, 20));
  const sender = await openSocket(senderUrl);
  const now = () => performance.timeOrigin + performance.now();
  // 1 s of warm-up, then ctx.opt.seconds measured (the receivers keep the same clock).
  let n = 0;
  const sends = (ctx.opt.seconds + 1) * 100;
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
  return { target: t.name, p50: pct(result.latencies, 50), p99: pct(result.latencies, 99), delivered: result.latencies.length, expected: ctx.opt.seconds * 100 * result.expected };
}

function distanceReport(ctx: BenchContext, rows: DistanceRow[]): string[] {
  const far = DISTANCES.at(-1)!;
  const header = DISTANCES.map((d) => `${d} ms p50 / p99`).join(" | ");
  const multiple = (r: DistanceRow) => `${(pct(r.byDistance.get(far)!, 50) / far).toFixed(2)}×`;
  return [
    "## Distance: Postgres and Redis made 0, 20 and 80 ms away",
    "",
    `Every answer of the Neon stand-in (WebSocket and HTTP) and of the Upstash stand-in is delayed by the distance, as a database region that far from the edge would be; ${ctx.opt.samples} samples per figure. Last column: p50 at ${far} ms as a multiple of the distance.`,
    "",
    `| operation | ${header} | p50 at ${far} ms ÷ ${far} ms |`,
    `|---|${DISTANCES.map(() => "---:").join("|")}|---:|`,
    ...rows.map((r) => `| ${r.op} | ${DISTANCES.map((d) => `${ms(pct(r.byDistance.get(d)!, 50))} / ${ms(pct(r.byDistance.get(d)!, 99))}`).join(" | ")} | ${multiple(r)} |`),
  ];
}

type OpenLoopRow = { target: string; p50: number; p99: number; delivered: number; expected: number };

function openLoopReport(ctx: BenchContext, rounds: [OpenLoopRow, OpenLoopRow][]): string[] {
  const p50Gaps = rounds.map(([full, bare]) => full.p50 - bare.p50);
  const p99Ratios = rounds.map(([full, bare]) => full.p99 / bare.p99);
  return [
    "## Open loop on loopback",
    "",
    `100 sends/s from one process, 50 receivers in another, ${ctx.opt.seconds} s measured after 1 s of warm-up; ${rounds.length} round(s) alternating between the targets (single runs on a small machine vary a lot).`,
    "",
    "| round | target | send → receiver p50 (ms) | p99 (ms) | deliveries measured |",
    "|---:|---|---:|---:|---:|",
    ...rounds.flatMap((pair, i) => pair.map((o) => `| ${i + 1} | ${o.target} | ${ms(o.p50)} | ${ms(o.p99)} | ${o.delivered} of ~${o.expected} |`)),
    "",
    `Full pipeline vs bare room, median of the rounds: p50 +${ms(pct(p50Gaps, 50))} ms (goal ≤ +3 ms; rounds ${p50Gaps.map((g) => `+${ms(g)}`).join(", ")}), p99 ${pct(p99Ratios, 50).toFixed(2)}× (goal ≤ 2×; rounds ${p99Ratios.map((r) => `${r.toFixed(2)}×`).join(", ")}).`,
  ];
}

export async function distanceSection(ctx: BenchContext): Promise<string[]> {
  ctx.log("distance: Postgres and Redis 0, 20 and 80 ms away, both commit modes…");
  const strictTarget = await ctx.start("full pipeline, postgres commit", { ...ctx.appVars, SEND_COMMIT: "postgres" });
  const rows = await distance(ctx, await ctx.app(), strictTarget);
  await strictTarget.dev.stop();
  return distanceReport(ctx, rows);
}

/** The open loop on loopback: the full pipeline and the bare room, side by side. */
export async function openLoopSection(ctx: BenchContext): Promise<string[]> {
  const count = ctx.opt.quick ? 1 : 3;
  ctx.log(`open loop: 100 sends/s, 50 receivers in a separate process, full pipeline vs bare room, ${count} alternating rounds…`);
  const app = await ctx.app();
  const bareTarget = await ctx.bare();
  const rounds: [OpenLoopRow, OpenLoopRow][] = [];
  for (let i = 0; i < count; i++) {
    const pair: [OpenLoopRow, OpenLoopRow] = [await openLoop(ctx, app, false), await openLoop(ctx, bareTarget, true)];
    ctx.log(`  round ${i + 1}: p50 full ${ms(pair[0].p50)} ms, bare ${ms(pair[1].p50)} ms; p99 full ${ms(pair[0].p99)} ms, bare ${ms(pair[1].p99)} ms`);
    rounds.push(pair);
  }
  await bareTarget.dev.stop();
  return openLoopReport(ctx, rounds);
}
