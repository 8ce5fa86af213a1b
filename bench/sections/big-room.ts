// Section 5: big rooms. One room object vs the room + 2 and 4 relays, with
// thousands of listeners in processes of their own: deliveries/s, send →
// listener p50/p99, and how much CPU workerd used.
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchContext } from "../context.ts";
import { joinMany, linesOf, newRoom, nextIp, root, workerdCpuSeconds } from "../lib.ts";
import { ms, openSocket, pct, ratio } from "../measure.ts";

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
async function bigRoom(ctx: BenchContext, relays: number, listeners = ctx.opt.listeners, saturate = true): Promise<BigRoomRow> {
  const name = relays === 0 ? "1 room object" : `room + ${relays} relays`;
  // The sender connects first and stays in the room; every later socket goes to a relay.
  const t = await ctx.start(name, { ...ctx.appVars, RELAY_COUNT: String(relays), RELAY_AFTER_SOCKETS: "1", MAX_SOCKETS_PER_ROOM: "1000000" });
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
  ctx.log(`  ${name}: ${listeners} listeners connected in ${LISTENER_PROCESSES} processes`);
  const now = () => performance.timeOrigin + performance.now();
  let n = 0;
  // Light load, open loop.
  const lightEnd = performance.now() + ctx.opt.seconds * 1000;
  while (performance.now() < lightEnd) {
    sender.send(JSON.stringify({ message: `light:${now()}`, client_id: `l${n++}` }));
    await new Promise((r) => setTimeout(r, 1000 / lightRate(listeners)));
  }
  await new Promise((r) => setTimeout(r, 1000));
  // Saturation: BIG_ROOM_WINDOW sends in flight, each ack frees a slot; 2 s of warm-up, then ctx.opt.seconds measured.
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
  await new Promise((r) => setTimeout(r, saturate ? ctx.opt.seconds * 1000 : 0));
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

export async function bigRoomSection(ctx: BenchContext): Promise<string[]> {
  ctx.log(`big rooms: ${ctx.opt.listeners} listeners, one room object vs the room + ${BIG_ROOM_RELAYS.filter(Boolean).join(" and ")} relays…`);
  const rows: BigRoomRow[] = [];
  for (const relays of BIG_ROOM_RELAYS) {
    rows.push(await bigRoom(ctx, relays));
    const r = rows.at(-1)!;
    ctx.log(`  ${r.target}: ${Math.round(r.deliveriesPerSecond)} deliveries/s, light p50 ${ms(r.lightP50)} ms, workerd ${r.workerdCores.toFixed(2)} cores`);
  }
  ctx.log(`  the hop alone: ${HOP_LISTENERS} listeners in the room vs behind one relay, ${lightRate(HOP_LISTENERS)} sends/s…`);
  const [direct, relayed] = [await bigRoom(ctx, 0, HOP_LISTENERS, false), await bigRoom(ctx, 1, HOP_LISTENERS, false)];
  const hop = relayed!.lightP50 - direct!.lightP50;
  const single = rows[0]!;
  const parallel = rows.some((r) => r.workerdCores > 1.3);
  return [
    "## Big rooms: one room object vs the room + K relays",
    "",
    `${ctx.opt.listeners} listeners over ${LISTENER_SESSIONS} participants, each socket from its own address, in ${LISTENER_PROCESSES} separate processes; one sender in this process, connected first (it stays in the room; every later socket goes to a relay). Light load: ${lightRate(ctx.opt.listeners)} sends/s for ${ctx.opt.seconds} s (send → listener latency; on one thread it includes waiting for the other objects' fan-out). Saturation: ${BIG_ROOM_WINDOW} sends in flight, ${ctx.opt.seconds} s measured after 2 s of warm-up.`,
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

