// A separate process of listening sockets for the big-room run (bench/sections/big-room.ts):
// the listeners never share an event loop with the sender or each other. Reads
// one JSON line of settings from stdin ({sockets: [{url, ip}]}), opens the
// sockets (each from its own address, as CF-Connecting-IP, so a room spreads
// them over its relays), prints "ready", and records every message whose
// content is "<phase>:<send time>". On a line "report <file>" from stdin it
// writes there, as JSON, per phase each arrival's time and latency and the CPU
// this process used (to show whether the listeners were the bottleneck), then
// prints "reported" (megabytes of figures are no line for a pipe).
import WebSocket from "ws";
import { createInterface } from "node:readline";
import { writeFileSync } from "node:fs";

const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
// Thousands of URLs are too long for argv: the settings come as the first line on stdin.
const { sockets } = JSON.parse((await input.next()).value as string) as { sockets: { url: string; ip: string }[] };
const now = () => performance.timeOrigin + performance.now();
const phases: Record<string, { at: number[]; latency: number[] }> = {};
const cpuStart = process.cpuUsage();
const wallStart = performance.now();

const open = (s: { url: string; ip: string }) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(s.url, { perMessageDeflate: false, headers: { "CF-Connecting-IP": s.ip } });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });

// A few at a time: thousands of upgrades at once would time out on a small machine.
const opened: WebSocket[] = [];
for (let i = 0; i < sockets.length; i += 100) opened.push(...(await Promise.all(sockets.slice(i, i + 100).map(open))));
for (const ws of opened) {
  ws.on("message", (data: Buffer) => {
    const text = String(data);
    // Cheap filter before parsing: only message frames carry a phase-tagged content.
    if (!text.startsWith('{"type":"message"')) return;
    const f = JSON.parse(text) as { content?: string };
    const m = /^([a-z]+):(\d+(?:\.\d+)?)$/.exec(f.content ?? "");
    if (!m) return;
    const t = now();
    const phase = (phases[m[1]!] ??= { at: [], latency: [] });
    phase.at.push(t);
    phase.latency.push(t - Number(m[2]));
  });
}
console.log("ready");

for (let line = await input.next(); !line.done; line = await input.next()) {
  const [command, file] = String(line.value).trim().split(" ");
  if (command !== "report" || !file) continue;
  const cpu = process.cpuUsage(cpuStart);
  const wall = (performance.now() - wallStart) * 1000;
  writeFileSync(file, JSON.stringify({ phases, cpuShare: (cpu.user + cpu.system) / wall }));
  console.log("reported");
  opened.forEach((ws) => ws.close());
  setTimeout(() => process.exit(0), 200);
  break;
}
