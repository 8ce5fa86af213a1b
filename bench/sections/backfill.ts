// Section 3: join backfill. A socket that resumes 50 messages back gets them
// from the Redis window, or from Postgres when the window is gone.
import type { BenchContext } from "../context.ts";
import { joinMany, newRoom, type Target } from "../lib.ts";
import { ms, openReceiving, openSocket, pct, ratio } from "../measure.ts";

async function backfill(ctx: BenchContext, t: Target, redisDel: (key: string) => Promise<void>): Promise<{ source: string; p50: number; p99: number }[]> {
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
    for (let i = 0; i < ctx.opt.samples; i++) {
      if (source === "Postgres") await redisDel(`chat:${room}:messages`);
      const t0 = performance.now();
      const s = await openReceiving(`${t.url.replace("http", "ws")}/ws/chat/${room}/?session_token=${reader}&last_seq=150`, 50);
      times.push(performance.now() - t0);
      s.close();
    }
    rows.push({ source, p50: pct(times, 50), p99: pct(times, 99) });
  }
  return rows;
}

export async function backfillSection(ctx: BenchContext): Promise<string[]> {
  ctx.log("join backfill: the last 50 messages from the Redis window vs from Postgres…");
  const { Redis } = await import("@upstash/redis");
  const redis = new Redis({ url: ctx.stack.bindings.UPSTASH_REDIS_REST_URL, token: ctx.stack.bindings.UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false });
  const rows = await backfill(ctx, await ctx.app(), async (key) => void (await redis.del(key)));
  return [
    "## Join backfill (last 50 of 200 messages, connect → 50th message)",
    "",
    "| source | p50 (ms) | p99 (ms) |",
    "|---|---:|---:|",
    ...rows.map((r) => `| ${r.source} | ${ms(r.p50)} | ${ms(r.p99)} |`),
    "",
    `Postgres / Redis window (p50): ${ratio(rows[1]!.p50, rows[0]!.p50)}×.`,
  ];
}
