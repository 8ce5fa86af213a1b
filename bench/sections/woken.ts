// Section: rooms that just woke. Production rooms sleep: workerd evicts a
// Durable Object after about 10 s with nothing to do (its hibernatable
// sockets stay open), so most sends land in a room that just woke. Rooms of
// one sender and 10 silent receivers are left idle long enough to be evicted;
// then, room by room, the first send after the wake and the send right after
// it (the room warm again) are timed to every receiver, with Postgres and
// Redis 0 and 80 ms away. While the rooms sleep the stand-ins count what they
// are asked: an idle room should cost nothing.
import type { WebSocket } from "ws";
import type { BenchContext } from "../context.ts";
import { joinMany, newRoom } from "../lib.ts";
import { allReceive, ms, openSocket, pct } from "../measure.ts";

const DISTANCES = [0, 80];
const RECEIVERS = 10;
/** Idle time before the first send: workerd's 10 s, with room to spare (and for a room that holds a connection 10 s more). */
const SLEEP_MS = 25_000;

interface SleepyRoom {
  sender: WebSocket;
  receivers: WebSocket[];
}

async function sleepyRoom(base: string): Promise<SleepyRoom> {
  const code = await newRoom(base);
  const tokens = await joinMany(base, code, RECEIVERS + 1);
  const ws = base.replace("http", "ws");
  const [sender, ...receivers] = await Promise.all(tokens.map((tk) => openSocket(`${ws}/ws/chat/${code}/?session_token=${tk}`)));
  const first = allReceive(receivers, "hello");
  sender!.send(JSON.stringify({ message: "hello" }));
  await first;
  return { sender: sender!, receivers };
}

async function timedSend(room: SleepyRoom, marker: string): Promise<number> {
  const done = allReceive(room.receivers, marker);
  const t0 = performance.now();
  room.sender.send(JSON.stringify({ message: marker }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`"${marker}" did not reach every receiver within 10 s`)), 10_000)));
  await Promise.race([done, late]).finally(() => clearTimeout(timer));
  return performance.now() - t0;
}

export async function wokenSection(ctx: BenchContext): Promise<string[]> {
  const app = await ctx.app();
  const roomCount = ctx.opt.quick ? 4 : 8;
  const rounds = ctx.opt.quick ? 1 : 2;
  ctx.log(`woken rooms: ${roomCount} rooms of ${RECEIVERS} receivers, ${rounds} round(s) per distance, each after ${SLEEP_MS / 1000} s idle…`);
  await ctx.setDistance(0);
  const rooms: SleepyRoom[] = [];
  for (let i = 0; i < roomCount; i++) rooms.push(await sleepyRoom(app.url));
  const woken = new Map<number, number[]>();
  const warm = new Map<number, number[]>();
  let idle: { seconds: number; statements: number; connections: number; upstash: number } | null = null;
  let n = 0;
  for (const d of DISTANCES) {
    await ctx.setDistance(d);
    for (let round = 0; round < rounds; round++) {
      ctx.log(`  ${d} ms away, round ${round + 1}: waiting ${SLEEP_MS / 1000} s for the rooms to sleep…`);
      // Whatever the last sends left to do (flushes, Redis appends) ends in the first seconds.
      await new Promise((r) => setTimeout(r, 3_000));
      const before = await ctx.storeCounts();
      await new Promise((r) => setTimeout(r, SLEEP_MS - 3_000));
      const after = await ctx.storeCounts();
      if (!idle) idle = { seconds: (SLEEP_MS - 3_000) / 1000, statements: after.statements - before.statements, connections: after.connections - before.connections, upstash: after.upstash - before.upstash };
      for (const room of rooms) {
        woken.set(d, [...(woken.get(d) ?? []), await timedSend(room, `woken ${n++}`)]);
        warm.set(d, [...(warm.get(d) ?? []), await timedSend(room, `warm ${n++}`)]);
      }
    }
  }
  await ctx.setDistance(0);
  for (const room of rooms) [room.sender, ...room.receivers].forEach((s) => s.close());
  const far = DISTANCES.at(-1)!;
  const row = (name: string, values: Map<number, number[]>) =>
    `| ${name} | ${DISTANCES.map((d) => `${ms(pct(values.get(d)!, 50))} / ${ms(pct(values.get(d)!, 99))}`).join(" | ")} | ${(pct(values.get(far)!, 50) / far).toFixed(2)}× |`;
  const perHour = (count: number) => ((count / roomCount / idle!.seconds) * 3600).toFixed(1);
  return [
    "## Rooms that just woke",
    "",
    `${roomCount} rooms of one sender and ${RECEIVERS} silent receivers (sockets open), left idle ${SLEEP_MS / 1000} s so workerd evicts them (it does after about 10 s with nothing to do); then in each room the first send after the wake and the next one, timed until all ${RECEIVERS} receivers have it; ${rounds * roomCount} samples per figure. Goal: the woken room's p50 at ${far} ms within 0.25× the distance, as the warm room's.`,
    "",
    `| socket send → ${RECEIVERS} receivers | ${DISTANCES.map((d) => `${d} ms p50 / p99`).join(" | ")} | p50 at ${far} ms ÷ ${far} ms |`,
    `|---|${DISTANCES.map(() => "---:").join("|")}|---:|`,
    row("first send after the room was evicted", woken),
    row("the next send (warm)", warm),
    "",
    `While the ${roomCount} rooms slept (${idle!.seconds} s, counted by the stand-ins): ${idle!.statements} Postgres statements, ${idle!.connections} Postgres connections, ${idle!.upstash} Upstash requests; per idle room per hour: ${perHour(idle!.statements)} statements, ${perHour(idle!.connections)} connections, ${perHour(idle!.upstash)} Upstash requests. Alarms: the room sets one only for a flush retry or a pin's end (test/cold-rooms.test.ts shows none is left on an idle room).`,
  ];
}
