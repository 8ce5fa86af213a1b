// Section: the hot path's cost, against a bare room. The same closed loop
// into the project's room and into the bare broadcast room (bench/bare-room.js),
// in alternating rounds: senders (10 × 4 in flight) in one process, 50
// receivers in another, so neither the clients nor each other are the limit.
// For each: acknowledged sends/s, workerd CPU per delivered message, and how
// long workerd stays busy after the senders stop (the room's deferred work:
// flushes to Postgres, Redis appends). Goals (issue 29): sends/s ≥ the bare
// room's, ≤ 1.5× its CPU per delivery, busy ≤ 1 s after the load stops.
import { spawn, type ChildProcess } from "node:child_process";
import type { BenchContext } from "../context.ts";
import { joinMany, linesOf, newRoom, root, workerdCpuSeconds, type Target } from "../lib.ts";
import { pct, ratio } from "../measure.ts";

const SENDERS = 10;
const IN_FLIGHT = 4;
const RECEIVERS = 50;
const WARMUP_S = 2;
/** workerd counts as idle once it used less than this share of a core over one sample. */
const IDLE_CORES = 0.05;
const SAMPLE_MS = 100;
/** How long after the load the bench waits at most for workerd to go idle. */
const BUSY_LIMIT_MS = 15_000;

interface Round {
  target: string;
  sendsPerSecond: number;
  cpuUsPerDelivery: number;
  cores: number;
  busyAfterMs: number;
  refused: number;
}

async function waitForLine(lines: string[], child: ChildProcess, line: string) {
  while (!lines.includes(line)) {
    if (child.exitCode !== null) throw new Error(`a client process ended before it printed "${line}"`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How long workerd keeps using CPU after the load stopped, sampled every SAMPLE_MS (BUSY_LIMIT_MS at most). */
async function busyAfter(t: Target): Promise<number> {
  const stopped = performance.now();
  let last = workerdCpuSeconds(t.dev);
  let busyUntil = 0;
  let idleSamples = 0;
  while (performance.now() - stopped < BUSY_LIMIT_MS && idleSamples < 5) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const now = workerdCpuSeconds(t.dev);
    const cores = (now - last) / (SAMPLE_MS / 1000);
    last = now;
    if (cores >= IDLE_CORES) {
      busyUntil = performance.now() - stopped;
      idleSamples = 0;
    } else idleSamples++;
  }
  return busyUntil;
}

async function round(ctx: BenchContext, t: Target, bare: boolean): Promise<Round> {
  const ws = t.url.replace("http", "ws");
  let senderUrls: string[];
  let receiverUrls: string[];
  if (bare) {
    const room = `hot-${Math.random().toString(36).slice(2)}`;
    senderUrls = Array.from({ length: SENDERS }, () => `${ws}/room/${room}`);
    receiverUrls = Array.from({ length: RECEIVERS }, () => `${ws}/room/${room}`);
  } else {
    const room = await newRoom(t.url);
    const tokens = await joinMany(t.url, room, SENDERS + RECEIVERS);
    const url = (tk: string) => `${ws}/ws/chat/${room}/?session_token=${tk}`;
    senderUrls = tokens.slice(0, SENDERS).map(url);
    receiverUrls = tokens.slice(SENDERS).map(url);
  }
  const { seconds } = ctx.opt;
  // The receivers outlast the busy measurement; both processes are ended after it.
  const receivers = spawn(process.execPath, [`${root}bench/receivers.ts`, JSON.stringify({ urls: receiverUrls, seconds: WARMUP_S + seconds + BUSY_LIMIT_MS / 1000 + 10 })], { stdio: ["ignore", "pipe", "inherit"] });
  const receiverLines = linesOf(receivers);
  await waitForLine(receiverLines, receivers, "ready");
  const senders = spawn(process.execPath, [`${root}bench/senders.ts`, JSON.stringify({ urls: senderUrls, window: IN_FLIGHT, seconds, warmup: WARMUP_S })], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = linesOf(senders);
  await waitForLine(lines, senders, "measuring");
  const cpu0 = workerdCpuSeconds(t.dev);
  const t0 = performance.now();
  await waitForLine(lines, senders, "stopped");
  const cpu1 = workerdCpuSeconds(t.dev);
  const elapsed = (performance.now() - t0) / 1000;
  const busyAfterMs = await busyAfter(t);
  while (!lines.some((l) => l.startsWith("{"))) await new Promise((r) => setTimeout(r, 10));
  const { acked, refused } = JSON.parse(lines.find((l) => l.startsWith("{"))!) as { acked: number; refused: number };
  senders.kill();
  receivers.kill();
  // Every acknowledged send reached every socket of the room: the senders' and the receivers'.
  const deliveries = acked * (SENDERS + RECEIVERS);
  return {
    target: t.name,
    sendsPerSecond: acked / elapsed,
    cpuUsPerDelivery: deliveries > 0 ? ((cpu1 - cpu0) * 1e6) / deliveries : NaN,
    cores: (cpu1 - cpu0) / elapsed,
    busyAfterMs,
    refused,
  };
}

export async function hotPathSection(ctx: BenchContext): Promise<string[]> {
  const rounds = ctx.opt.quick ? 1 : 2;
  ctx.log(`hot path: closed loop (${SENDERS} senders × ${IN_FLIGHT} in flight, ${RECEIVERS} receivers), project vs bare room, ${rounds} alternating rounds…`);
  const app = await ctx.app();
  const bare = await ctx.bare();
  const rows: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const [t, isBare] of [[app, false], [bare, true]] as const) {
      const r = await round(ctx, t, isBare);
      ctx.log(`  ${r.target}: ${Math.round(r.sendsPerSecond)} sends/s, ${r.cpuUsPerDelivery.toFixed(1)} µs CPU per delivery, busy ${Math.round(r.busyAfterMs)} ms after`);
      rows.push(r);
    }
  }
  await bare.dev.stop();
  const median = (target: string, pick: (r: Round) => number) => pct(rows.filter((r) => r.target === target).map(pick), 50);
  const sendsRatio = ratio(median(app.name, (r) => r.sendsPerSecond), median(bare.name, (r) => r.sendsPerSecond));
  const cpuRatio = ratio(median(app.name, (r) => r.cpuUsPerDelivery), median(bare.name, (r) => r.cpuUsPerDelivery));
  const busy = Math.max(...rows.filter((r) => r.target === app.name).map((r) => r.busyAfterMs));
  return [
    "## Hot path: the room against a bare room",
    "",
    `Closed loop: ${SENDERS} senders × ${IN_FLIGHT} sends in flight (one process), ${RECEIVERS} receivers (another process), ${ctx.opt.seconds} s measured after ${WARMUP_S} s of warm-up, rounds alternating between the targets. CPU is workerd's (every process under that wrangler dev), from /proc; "busy after" is how long workerd kept above ${IDLE_CORES} of a core once the senders stopped sending (sampled every ${SAMPLE_MS} ms; the sockets stay open meanwhile).`,
    "",
    "| round | target | acknowledged sends/s | workerd cores | µs CPU per delivery | busy after the load (ms) | refused |",
    "|---:|---|---:|---:|---:|---:|---:|",
    ...rows.map((r, i) => `| ${Math.floor(i / 2) + 1} | ${r.target} | ${Math.round(r.sendsPerSecond)} | ${r.cores.toFixed(2)} | ${r.cpuUsPerDelivery.toFixed(1)} | ${Math.round(r.busyAfterMs)} | ${r.refused} |`),
    "",
    `Medians, project ÷ bare room: sends/s **${sendsRatio}×** (goal ≥ 1×), CPU per delivery **${cpuRatio}×** (goal ≤ 1.5×); the room's deferred work drained **${Math.round(busy)} ms** after the load at the most (goal ≤ 1000 ms).`,
  ];
}
