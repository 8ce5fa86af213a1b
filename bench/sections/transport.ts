// Section 0: the transport. wrangler dev's proxy vs the Worker's own workerd
// port (which the other sections use when it is found): an HTTP GET and a
// WebSocket ping → pong, p50.
import type { BenchContext } from "../context.ts";
import { joinMany, newRoom, type Target } from "../lib.ts";
import { ms, openSocket, pct } from "../measure.ts";

async function measureTransport(ctx: BenchContext, t: Target): Promise<{ path: string; http: number; ws: number }[]> {
  const rows = [];
  for (const [path, base] of [["wrangler dev proxy", t.proxy], ["workerd direct", t.direct]] as const) {
    if (!base) continue;
    const http: number[] = [];
    for (let i = 0; i < ctx.opt.samples * 5; i++) {
      const t0 = performance.now();
      await (await fetch(`${base}/`)).text();
      http.push(performance.now() - t0);
    }
    const room = await newRoom(base);
    const [token] = await joinMany(base, room, 1);
    const ws = await openSocket(`${base.replace("http", "ws")}/ws/chat/${room}/?session_token=${token}`);
    const rtt: number[] = [];
    for (let i = 0; i < ctx.opt.samples * 5; i++) {
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

export async function transport(ctx: BenchContext): Promise<string[]> {
  ctx.log("transport: wrangler dev proxy vs the Worker's own workerd port…");
  const rows = await measureTransport(ctx, await ctx.app());
  return [
    "## Transport",
    "",
    "| path | HTTP GET / p50 (ms) | WebSocket ping→pong p50 (ms) |",
    "|---|---:|---:|",
    ...rows.map((r) => `| ${r.path} | ${ms(r.http)} | ${ms(r.ws)} |`),
  ];
}
