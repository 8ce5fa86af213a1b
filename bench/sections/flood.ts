// Section: flood. one participant floods a room with junk frames
// (3,000 a round, as fast as it can, reconnecting after each close, in its own
// process), while honest participants send at their allowed rate; their send →
// acknowledgement latency, p50/p99, next to the same senders with no flood in
// the same run. Goal (issue: Security III): p99 with the flood ≤ 250 ms.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ms, openSocket, pct, ratio } from "../measure.ts";
import type { BenchContext } from "../context.ts";
import { call } from "../lib.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface FloodDeps {
  /** The Worker's base URL (http://…), run with the production frame and send limits. */
  url: string;
  /** The bare broadcast room's base URL: the runtime's own cost per frame, as a baseline. */
  bareUrl: string;
  /** POST helper of the bench: answers the parsed JSON or throws. */
  call(base: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any>;
  seconds: number;
  log(line: string): void;
}

const HONEST = 5;
/** Each honest participant sends this often: under SEND_PER_SECOND (5) with room to spare. */
const SEND_EVERY_MS = 400;
const FRAMES_PER_ROUND = 3000;

/** An address of its own per call: one run never inherits another's per-address counts. */
const anyIp = () => ({ "CF-Connecting-IP": `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}` });

async function room(deps: FloodDeps) {
  const rand = crypto.randomUUID().slice(0, 8);
  const host = await deps.call(deps.url, "POST", "/api/auth/register/", { email: `fl${rand}@example.com`, password: "sturdy-pass-42", reserved_username: `fl_${rand}` }, anyIp());
  const created = await deps.call(deps.url, "POST", "/api/chats/create/", { name: "Flood" }, { authorization: `Bearer ${host.token}`, ...anyIp() });
  const join = async (name: string) =>
    (await deps.call(deps.url, "POST", `/api/chats/${created.code}/join/`, { username: `${name}${rand.slice(0, 4)}`, fingerprint: `fp-${name}-${rand}` }, anyIp())).session_token as string;
  const wsUrl = (token: string) => `${deps.url.replace(/^http/, "ws")}/ws/chat/${created.code}/?session_token=${encodeURIComponent(token)}`;
  return { code: created.code as string, join, wsUrl };
}

/** Honest senders for `seconds`: each send's time to its own acknowledgement (ms). */
async function honestSends(urls: string[], seconds: number): Promise<{ latencies: number[]; refused: number }> {
  const latencies: number[] = [];
  let refused = 0;
  const sockets = await Promise.all(urls.map(openSocket));
  const sentAt = new Map<string, number>();
  for (const ws of sockets) {
    ws.on("message", (data: Buffer) => {
      const f = JSON.parse(String(data));
      const at = f.client_id ? sentAt.get(f.client_id) : undefined;
      if (at === undefined) return;
      if (f.type === "message") latencies.push(performance.now() - at);
      else if (f.type === "error") refused++;
      sentAt.delete(f.client_id);
    });
  }
  let n = 0;
  const timers = sockets.map((ws, k) =>
    setInterval(() => {
      const id = `h${k}-${n++}`;
      sentAt.set(id, performance.now());
      ws.send(JSON.stringify({ message: `honest ${id}`, client_id: id }));
    }, SEND_EVERY_MS),
  );
  await new Promise((r) => setTimeout(r, seconds * 1000));
  timers.forEach(clearInterval);
  await new Promise((r) => setTimeout(r, 1500));
  // A send never answered counts as refused (lost under the flood).
  refused += sentAt.size;
  sockets.forEach((s) => s.close());
  return { latencies, refused };
}

/** How long a bare hibernation room takes to take in (and echo) `frames` frames sent at once: the runtime's cost alone. */
async function bareRoundMs(bareUrl: string, frames: number): Promise<number> {
  const ws = await openSocket(`${bareUrl.replace(/^http/, "ws")}/flood-baseline`);
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let got = 0;
      const on = () => {
        if (++got < frames) return;
        ws.off("message", on);
        resolve();
      };
      ws.on("message", on);
      for (let i = 0; i < frames; i++) ws.send('{"message":"x"}');
    });
    rounds.push(performance.now() - started);
  }
  ws.close();
  return pct(rounds, 50);
}

export async function runFlood(deps: FloodDeps): Promise<string[]> {
  deps.log(`6 flood: ${HONEST} honest senders, ${deps.seconds} s without and ${deps.seconds} s with a participant flooding ${FRAMES_PER_ROUND} frames a round…`);
  const r = await room(deps);
  const honest = await Promise.all(Array.from({ length: HONEST }, (_, i) => r.join(`hon${i}`)));
  const quiet = await honestSends(honest.map(r.wsUrl), deps.seconds);
  deps.log(`  no flood: p50 ${ms(pct(quiet.latencies, 50))} ms, p99 ${ms(pct(quiet.latencies, 99))} ms`);

  const flooder = await r.join("flood");
  const child = spawn(process.execPath, [`${root}bench/flooder.ts`, JSON.stringify({ url: r.wsUrl(flooder), frames: FRAMES_PER_ROUND, seconds: deps.seconds })], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += String(d)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve) => {
    const check = () => (out.includes("ready") ? resolve() : setTimeout(check, 20));
    check();
  });
  const flooded = await honestSends(honest.map(r.wsUrl), deps.seconds);
  await exited;
  const summary = JSON.parse(out.trim().split("\n").at(-1)!) as { rounds: { code: number | null; answered: number; refusedAtUpgrade: boolean; ms: number }[] };
  const opened = summary.rounds.filter((x) => !x.refusedAtUpgrade);
  deps.log(`  flood: p50 ${ms(pct(flooded.latencies, 50))} ms, p99 ${ms(pct(flooded.latencies, 99))} ms; ${summary.rounds.length} rounds`);
  const p99 = pct(flooded.latencies, 99);
  const bareMs = await bareRoundMs(deps.bareUrl, FRAMES_PER_ROUND);
  const roundMs = opened.map((x) => x.ms);
  return [
    "## A flooding participant",
    "",
    `${HONEST} honest participants send every ${SEND_EVERY_MS} ms for ${deps.seconds} s; then again while one participant, in its own process, sends ${FRAMES_PER_ROUND} junk frames a round as fast as it can (broken JSON, pings spelled otherwise, unknown types) and reconnects after each close. Production frame and send limits (FRAME_BURST 60, FRAME_PER_SECOND 20).`,
    "",
    "| run | honest sends | p50 (ms) | p99 (ms) | refused or lost |",
    "|---|---:|---:|---:|---:|",
    `| no flood | ${quiet.latencies.length} | ${ms(pct(quiet.latencies, 50))} | ${ms(pct(quiet.latencies, 99))} | ${quiet.refused} |`,
    `| flood | ${flooded.latencies.length} | ${ms(pct(flooded.latencies, 50))} | ${ms(pct(flooded.latencies, 99))} | ${flooded.refused} |`,
    "",
    `Flood rounds: ${summary.rounds.length} (${opened.length} opened a socket; the rest were refused at the upgrade: a participant closed for flooding waits a minute). Close codes: ${[...new Set(summary.rounds.map((x) => x.code))].join(", ")}; frames answered before the close, at most ${Math.max(0, ...opened.map((x) => x.answered))} of ${FRAMES_PER_ROUND}.`,
    `A round lasts until the room has been handed every frame sent before its close: ${roundMs.map((x) => Math.round(x)).join(", ")} ms here, against **${Math.round(bareMs)} ms** for a bare hibernation room to take in and echo ${FRAMES_PER_ROUND} frames (the runtime's dispatch alone, same run): ${ratio(pct(roundMs, 50), bareMs)}× the bare room.`,
    `p99 with the flood ÷ without: **${(p99 / pct(quiet.latencies, 99)).toFixed(2)}×**; goal p99 ≤ 250 ms: **${p99 <= 250 ? "met" : "not met"}** (${ms(p99)} ms).`,
  ];
}

/** On a Worker of its own with the production frame, send and connect limits, next to the bare room. */
export async function floodSection(ctx: BenchContext): Promise<string[]> {
  ctx.log("flood: honest senders with and without a participant flooding junk frames…");
  const production = ["FRAME_BURST", "FRAME_PER_SECOND", "CONNECTS_PER_MINUTE", "CONNECTS_PER_MINUTE_PER_IP", "SEND_BURST", "SEND_PER_SECOND"];
  const target = await ctx.start("flood", Object.fromEntries(Object.entries(ctx.appVars).filter(([k]) => !production.includes(k))));
  const bareTarget = await ctx.bare();
  try {
    return await runFlood({ url: target.url, bareUrl: bareTarget.url, call, seconds: ctx.opt.seconds, log: ctx.log });
  } finally {
    await target.dev.stop();
    await bareTarget.dev.stop();
  }
}
