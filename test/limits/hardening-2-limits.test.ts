// Issue 21 with small limits ("limits" project, vitest.config.ts): FRAME_BURST 30,
// FRAME_PER_SECOND 10, MAX_SOCKETS_PER_PARTICIPANT 3, SOCKET_IDLE_SECONDS 30,
// ANON_JOINS_PER_ROOM_PER_MINUTE 8, MESSAGE_CACHE_MAX_BYTES 6000,
// ROOMS_PER_ACCOUNT 3, RATE_LIMIT_CREATE_ROOM 5/1 m.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE_IDLE, CLOSE_POLICY } from "../../src/protocol";
import { api, Client, connect, connectRaw, join, newRoom, randomIp, redis, register, settled } from "../support/api";
import { MINUTE, withinOneRateWindow } from "../support/rate-window";
import { holdRoomClock } from "../support/room-clock";

async function connectFrom(code: string, token: string, ip: string): Promise<Client> {
  const res = await connectRaw(code, `?session_token=${encodeURIComponent(token)}`, { "CF-Connecting-IP": ip });
  res.webSocket!.accept();
  return new Client(res.webSocket!);
}

describe("1. every frame costs its sender", () => {
  it("a participant flooding frames of any kind on several sockets is closed; honest senders beside it lose nothing", async () => {
    const { room } = await newRoom();
    const flooder = await join(room.code, "flooder_1");
    const honest = await join(room.code, "honest_one");
    const f1 = await connectFrom(room.code, flooder.session_token, "10.7.0.1");
    const f2 = await connectFrom(room.code, flooder.session_token, "10.7.0.2");
    const h = await connect(room.code, honest.session_token);
    for (let i = 0; i < 300; i++) {
      f1.send('{"type": "ping"}'); // not the exact keep-alive text: it reaches the room
      f2.send("not json at all");
    }
    for (let i = 0; i < 5; i++) h.send({ message: `honest ${i}`, client_id: `h${i}` });
    await h.until("every honest send", () => h.messages().filter((m) => m.client_id).length === 5);
    expect((await f1.waitForClose()).code).toBe(CLOSE_POLICY);
    expect((await f2.waitForClose()).code).toBe(CLOSE_POLICY);
    expect(f1.closed!.reason).toContain("too many frames");
    // Far fewer answers than frames: over the budget a frame is not answered at all.
    expect(f1.frames.filter((f) => f.type === "pong").length).toBeLessThan(100);
    await settled(room.code);
    const stored = (await api("GET", `/api/chats/${room.code}/messages/`)).body.messages.map((m: any) => m.content);
    expect(stored).toEqual(["honest 0", "honest 1", "honest 2", "honest 3", "honest 4"]);
    h.close();
  });
});

describe("2. a room's seats are fair", () => {
  it("caps the sockets of one participant, whatever addresses they come from", async () => {
    const { room } = await newRoom();
    const me = await join(room.code);
    const mine: Client[] = [];
    for (let i = 1; i <= 3; i++) mine.push(await connectFrom(room.code, me.session_token, `10.8.0.${i}`));
    const fourth = await connectFrom(room.code, me.session_token, "10.8.0.4");
    const closed = await fourth.waitForClose();
    expect([closed.code, closed.reason]).toEqual([CLOSE_POLICY, "too many connections for one participant"]);
    mine[0]!.send({ message: "still here", client_id: "ok" });
    await mine[0]!.until("the send", () => mine[0]!.messages().some((m) => m.client_id === "ok"));
    mine.forEach((s) => s.close());
  });

  it("closes a socket that sent nothing and no keep-alive for SOCKET_IDLE_SECONDS, not one that did", async () => {
    const { room } = await newRoom();
    const quiet = await connect(room.code, (await join(room.code)).session_token);
    const chatty = await connect(room.code, (await join(room.code)).session_token);
    const stub = env.CHAT_ROOM.getByName(room.code);
    await holdRoomClock(room.code, Date.now() + 31_000);
    chatty.send('{"type": "ping"}');
    await chatty.until("a pong", () => chatty.frames.some((f) => f.type === "pong"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const closed = await quiet.waitForClose();
    expect(closed.code).toBe(CLOSE_IDLE);
    expect(chatty.closed).toBeNull();
    chatty.close();
  });
});

describe("3. anonymous joins per room", () => {
  it("a room takes at most ANON_JOINS_PER_ROOM_PER_MINUTE new anonymous names a minute; logged-in joins still work", async () => {
    const { room } = await newRoom();
    const answers: { status: number; body: any; headers: Headers }[] = [];
    for (let i = 0; i < 9; i++) {
      answers.push(await api("POST", `/api/chats/${room.code}/join/`, { body: { username: `anon_rate_${i}`, fingerprint: `fp-rate-${i}` } }));
    }
    expect(answers.slice(0, 8).map((a) => a.status)).toEqual(Array(8).fill(200));
    expect([answers[8]!.status, answers[8]!.body.code, answers[8]!.headers.get("Retry-After")]).toEqual([429, "ANON_JOIN_RATE", "60"]);
    // A returning anonymous participant is no new name.
    expect((await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "anon_rate_0", fingerprint: "fp-rate-0" } })).status).toBe(200);
    const member = await register();
    expect((await join(room.code, member.user.reserved_username, { token: member.token })).username).toBe(member.user.reserved_username);
  });
});

describe("4. quotas on what one account creates", () => {
  it("rooms per account have a quota, and creation a rate per account and per address", async () => {
    // An address of its own: a fixed one would carry its count into the next run on the same Redis.
    const ip = randomIp();
    await withinOneRateWindow(MINUTE, 10_000);
    const a = await register();
    const create = (token: string) => api("POST", "/api/chats/create/", { token, ip, body: { name: "Quota" } });
    for (let i = 0; i < 3; i++) expect((await create(a.token)).status).toBe(201);
    const over = await create(a.token);
    expect([over.status, over.body.code, over.body.details.max_rooms]).toEqual([409, "ROOM_QUOTA_REACHED", 3]);
    // The address has made 4 attempts of its 5; a second account from it gets one more.
    const b = await register();
    expect((await create(b.token)).status).toBe(201);
    const limited = await create(b.token);
    expect([limited.status, limited.body.code]).toEqual([429, "RATE_LIMITED"]);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("a room's Redis window keeps to its byte budget as well as its count", async () => {
    const { room } = await newRoom();
    for (let i = 0; i < 4; i++) {
      const sender = await join(room.code);
      for (let j = 0; j < 2; j++) {
        const res = await api("POST", `/api/chats/${room.code}/messages/send/`, {
          body: { message: `${i}.${j} ${"long words ".repeat(150)}` },
          headers: { "X-Session-Token": sender.session_token },
        });
        expect(res.status).toBe(201);
      }
      await settled(room.code); // this project holds at most 8 unflushed messages
    }
    await settled(room.code);
    const members = (await redis().zrange(`chat:${room.code}:messages`, 0, -1)) as string[];
    const bytes = members.reduce((n, m) => n + new TextEncoder().encode(m).byteLength, 0);
    expect(members.length).toBeGreaterThanOrEqual(2);
    expect(members.length).toBeLessThan(8);
    expect(bytes).toBeLessThanOrEqual(6000 + 2000);
    // The newest is always kept.
    expect(JSON.parse(members.at(-1)!).content.startsWith("3.1 ")).toBe(true);
  });
});
