// Where a send is committed (SEND_COMMIT): in the room's own storage
// ("room", the default: Postgres gets it right after the broadcast) or in
// Postgres before the broadcast ("postgres"). This file runs in both
// projects: "worker" (room) and "strict" (postgres); each test says which
// guarantees hold in which mode.
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requestDb } from "../../src/platform/db";
import { messages } from "../../src/platform/schema";
import { findRoom } from "../../src/features/rooms/queries";
import { api, connect, connectResuming, join, newRoom, settled, withPostgresDown, withRedisFault, type Client } from "../support/api";

const strict = env.SEND_COMMIT === "postgres";
const history = async (code: string) =>
  (await api("GET", `/api/chats/${code}/messages/?limit=100`)).body.messages as { seq: number; content: string; id: string }[];

async function twoInRoom() {
  const { room } = await newRoom();
  const alice = await join(room.code, "alice_commit");
  const bob = await join(room.code, "bob_commit");
  const a = await connect(room.code, alice.session_token);
  const b = await connect(room.code, bob.session_token);
  a.send({ message: "before" });
  await b.waitForMessages(1);
  return { room, alice, bob, a, b };
}

const closeAll = (...clients: Client[]) => clients.forEach((c) => c.close());

describe.runIf(!strict)("room commit (SEND_COMMIT=room)", () => {
  it("keeps taking sends while Postgres is down, then flushes them to Postgres in seq order, once", async () => {
    const { room, a, b } = await twoInRoom();
    await withPostgresDown(async () => {
      for (let i = 0; i < 20; i++) a.send({ message: `down ${i}`, client_id: `down-${i}` });
      await b.waitForMessages(21);
      // A retry during the outage is answered from the room's log: the same message, not a new one.
      a.send({ message: "down 3", client_id: "down-3" });
      await a.until("the retry's ack", () => a.frames.filter((f) => f.client_id === "down-3").length === 2);
      expect(a.frames.filter((f) => f.client_id === "down-3").map((f) => f.seq)).toEqual([5, 5]);
      expect(a.frames.filter((f) => f.type === "error")).toEqual([]);
      // REST reads Postgres only, and Postgres is away.
      expect((await api("GET", `/api/chats/${room.code}/messages/`)).status).toBe(503);
    });
    await settled(room.code);
    const stored = await history(room.code);
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(stored.slice(1).map((m) => m.content)).toEqual(Array.from({ length: 20 }, (_, i) => `down ${i}`));
    // What Postgres stored is what was broadcast, id for id.
    expect(stored.map((m) => m.id)).toEqual(b.messages().map((m) => m.id));
    closeAll(a, b);
  });

  it("gets every message to Postgres soon after its broadcast, also those committed while a flush was running", async () => {
    const { room, a, b } = await twoInRoom();
    for (let i = 0; i < 30; i++) (i % 2 ? a : b).send({ message: `quick ${i}` });
    await b.waitForMessages(31);
    // No settled() here: the room's own flushing must get there, well before its 5 s safety alarm.
    await expect.poll(async () => (await history(room.code)).length, { timeout: 3_000, interval: 50 }).toBe(31);
    closeAll(a, b);
  });

  it("flushes what it committed before a restart once it wakes, with nothing lost", async () => {
    const { room, a, b } = await twoInRoom();
    const stub = env.CHAT_ROOM.getByName(room.code);
    await withPostgresDown(async () => {
      for (let i = 0; i < 5; i++) a.send({ message: `unflushed ${i}` });
      await b.waitForMessages(6);
      await evictDurableObject(stub);
    });
    // The commit armed the room's alarm: it wakes the evicted room, which flushes. Nothing else calls
    // the room here (history reads Postgres only). Run the alarm now, unless its retry already fired.
    await runDurableObjectAlarm(stub);
    await expect
      .poll(async () => (await history(room.code)).map((m) => m.content), { timeout: 20_000, interval: 100 })
      .toEqual(["before", ...Array.from({ length: 5 }, (_, i) => `unflushed ${i}`)]);
    closeAll(a, b);
  });

  it("serves a REST reader who then resumes every message exactly once, flushed or not", async () => {
    const { room, bob, a, b } = await twoInRoom();
    await withPostgresDown(async () => {
      for (let i = 0; i < 4; i++) a.send({ message: `late ${i}` });
      await b.waitForMessages(5);
    });
    // Postgres is back but may not have the last four yet: history shows what it has…
    const page = await history(room.code);
    const last = page.at(-1)!.seq;
    // …and the room sends the rest, from its own log when Postgres lacks them.
    const c = await connectResuming(room.code, bob.session_token, last);
    await c.waitForMessages(5 - last);
    const seen = [...page.map((m) => m.seq), ...c.messages().map((m) => m.seq)];
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    closeAll(a, b, c);
  });
});

describe.runIf(strict)("strict commit (SEND_COMMIT=postgres)", () => {
  it("refuses a send with DB_UNAVAILABLE while Postgres is down and broadcasts nothing; seq continues without a gap", async () => {
    const { room, a, b } = await twoInRoom();
    await withPostgresDown(async () => {
      a.send({ message: "lost?", client_id: "strict-down" });
      expect(await a.nextFrame("error")).toMatchObject({ code: "DB_UNAVAILABLE", client_id: "strict-down" });
    });
    a.send({ message: "after", client_id: "strict-down" });
    await b.waitForMessages(2);
    expect(b.messages().map((m) => [m.seq, m.content])).toEqual([
      [1, "before"],
      [2, "after"],
    ]);
    // Strict mode broadcasts only what Postgres has.
    expect((await history(room.code)).map((m) => m.seq)).toEqual([1, 2]);
    closeAll(a, b);
  });
});

describe("both modes", () => {
  it("sets aside a row Postgres refuses (a constraint) without holding back the rows behind it", async () => {
    const { room, a, b } = await twoInRoom();
    await settled(room.code);
    // A stray writer takes seq 3 in Postgres: the room's seq 3 collides with it there.
    const db = requestDb(env);
    const found = (await findRoom(db, room.code))!;
    await db.insert(messages).values({ id: crypto.randomUUID(), chatRoomId: found.id, channel: "main", seq: 3, username: "stray", content: "stray row" });
    for (const text of ["two", "three", "four"]) {
      a.send({ message: text, client_id: text });
      await a.until(`${text} answered`, () => a.frames.some((f) => f.client_id === text));
    }
    await settled(room.code);
    const stored = (await history(room.code)).map((m) => [m.seq, m.content]);
    expect(stored).toEqual([
      [1, "before"],
      [2, "two"],
      [3, "stray row"],
      [4, "four"],
    ]);
    const three = a.frames.find((f) => f.client_id === "three")!;
    if (strict) {
      // Strict mode never broadcasts what Postgres did not take.
      expect(three).toMatchObject({ type: "error", code: "INTERNAL_ERROR" });
      expect(b.messages().map((m) => m.content)).toEqual(["before", "two", "four"]);
    } else {
      expect(three).toMatchObject({ type: "message", seq: 3 });
    }
    closeAll(a, b);
  });

  it("never resumes from a Redis window that is behind the room: a lagging cache falls back to Postgres and the log", async () => {
    const { room, bob, a, b } = await twoInRoom();
    await settled(room.code);
    await withRedisFault(async () => {
      for (let i = 0; i < 10; i++) a.send({ message: `lagging ${i}` });
      await b.waitForMessages(11);
      const c = await connectResuming(room.code, bob.session_token, 0);
      await c.waitForMessages(11);
      expect(c.messages().map((m) => m.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
      c.close();
    }, 300);
    closeAll(a, b);
  });
});
