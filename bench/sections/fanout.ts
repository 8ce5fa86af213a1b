// Section 1: fan-out and writes. Closed loop into one room: the full pipeline
// vs a bare broadcast room vs the pipeline with batching off; then stored
// messages per second with many concurrent REST senders, batched vs one
// INSERT per message, on loopback and with Postgres 5 ms away.
import type { BenchContext } from "../context.ts";
import { joinMany, newRoom, type Target } from "../lib.ts";
import { ms, openSocket, pct } from "../measure.ts";

/** 2 s of warm-up, then ctx.opt.seconds with `on(true)`: answers the measured seconds. */
export async function measure(ctx: BenchContext, on: (measuring: boolean) => void): Promise<number> {
  await new Promise((r) => setTimeout(r, 2000));
  on(true);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ctx.opt.seconds * 1000));
  on(false);
  return (performance.now() - t0) / 1000;
}

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

/** Closed loop: each sender keeps ctx.opt.window sends in flight; every socket of the room listens. */
async function fanout(ctx: BenchContext, t: Target, bare: boolean, clients: number, senders: number): Promise<FanoutResult> {
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
    for (let k = 0; k < ctx.opt.window; k++) send();
  });
  void loops;
  const elapsed = await measure(ctx, (on) => (measuring = on));
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
async function writeThroughput(ctx: BenchContext, t: Target, senders: number): Promise<{ target: string; perSecond: number; p50: number; p99: number }> {
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
  const elapsed = await measure(ctx, (on) => (measuring = on));
  running = false;
  await Promise.all(loops);
  return { target: t.name, perSecond: stored / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99) };
}

/** Postgres this far away for the second round of the write test (as from an edge location to Neon). */
const RTT_MS = 5;

export async function fanoutSection(ctx: BenchContext): Promise<string[]> {
  const { clients, senders, seconds, batchSenders } = ctx.opt;
  ctx.log(`fan-out: ${clients} clients, ${senders} senders, ${seconds} s each…`);
  const app = await ctx.app();
  const full = await fanout(ctx, app, false, clients, senders);
  ctx.log(`  full pipeline: ${Math.round(full.deliveriesPerSecond)} deliveries/s`);
  const bareTarget = await ctx.bare();
  const bare = await fanout(ctx, bareTarget, true, clients, senders);
  ctx.log(`  bare broadcast: ${Math.round(bare.deliveriesPerSecond)} deliveries/s`);
  await bareTarget.dev.stop();
  const unbatchedTarget = await ctx.start("full pipeline, batching off", { ...ctx.appVars, WRITE_BATCH_MAX: "1" });
  const unbatchedFanout = await fanout(ctx, unbatchedTarget, false, clients, senders);
  ctx.log(`writes: ${batchSenders} concurrent REST senders, batched vs one INSERT per message…`);
  const batched = await writeThroughput(ctx, app, batchSenders);
  const unbatched = await writeThroughput(ctx, unbatchedTarget, batchSenders);
  await ctx.setPostgresLatency(RTT_MS);
  const batchedFar = await writeThroughput(ctx, app, batchSenders);
  const unbatchedFar = await writeThroughput(ctx, unbatchedTarget, batchSenders);
  await ctx.setPostgresLatency(0);
  await unbatchedTarget.dev.stop();
  return [
    "## Fan-out",
    "",
    "| target | clients | senders | deliveries/s | messages/s | p50 (ms) | p95 (ms) | p99 (ms) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...[full, bare, unbatchedFanout].map((r) => `| ${r.target} | ${r.clients} | ${r.senders} | ${Math.round(r.deliveriesPerSecond)} | ${Math.round(r.messagesPerSecond)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} |`),
    "",
    `Full pipeline / bare broadcast (deliveries/s): **${(full.deliveriesPerSecond / bare.deliveriesPerSecond).toFixed(2)}×** (goal ≥ 0.8×).`,
    "",
    `Writes with ${batchSenders} concurrent senders (REST, same pipeline):`,
    "",
    "| writes | stored/s | send p50 (ms) | send p99 (ms) |",
    "|---|---:|---:|---:|",
    `| batched (up to 200 per INSERT) | ${Math.round(batched.perSecond)} | ${ms(batched.p50)} | ${ms(batched.p99)} |`,
    `| one INSERT per message | ${Math.round(unbatched.perSecond)} | ${ms(unbatched.p50)} | ${ms(unbatched.p99)} |`,
    `| batched, Postgres ${RTT_MS} ms away | ${Math.round(batchedFar.perSecond)} | ${ms(batchedFar.p50)} | ${ms(batchedFar.p99)} |`,
    `| one INSERT per message, Postgres ${RTT_MS} ms away | ${Math.round(unbatchedFar.perSecond)} | ${ms(unbatchedFar.p50)} | ${ms(unbatchedFar.p99)} |`,
    "",
    `Batching buys **${(batched.perSecond / unbatched.perSecond).toFixed(2)}×** on loopback and **${(batchedFar.perSecond / unbatchedFar.perSecond).toFixed(2)}×** with Postgres ${RTT_MS} ms away (goal ≥ 3×).`,
  ];
}
