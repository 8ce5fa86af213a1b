// Resume, exactly-once sends and the room under Redis faults, restarts and
// hibernation, through the public API with the stand-ins taken down around
// live sockets.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { CACHE_PAUSE_MS } from "../../src/platform/cache-health";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, connect, connectResuming, join, newRoom, redis, settled, withPostgresDown, withRedisFault, type Client } from "../support/api";

async function roomWith(n: number) {
  const { room } = await newRoom();
  const alice = await join(room.code, "alice_res");
  const bob = await join(room.code, "bob_resume");
  const a = await connect(room.code, alice.session_token);
  for (let i = 1; i <= n; i++) a.send({ message: `m${i}` });
  if (n > 0) await a.waitForMessages(n, 60_000);
  await settled(room.code);
  return { room, alice, bob, a };
}

const seqs = (c: Client) => c.messages().map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const windowSeqs = async (code: string) =>
  ((await redis().zrange(`chat:${code}:messages`, 0, -1)) as string[]).map((m) => JSON.parse(m).seq as number);

describe("resume", () => {
  it("sends every message after last_seq from the Redis window, then live ones", async () => {
    const { room, bob, a } = await roomWith(30);
    const b = await connectResuming(room.code, bob.session_token, 12);
    await b.waitForMessages(18);
    a.send({ message: "live" });
    await b.waitForMessages(19);
    expect(seqs(b)).toEqual(range(13, 31));
    expect(b.messages().at(-1)!.content).toBe("live");
    [a, b].forEach((c) => c.close());
  });

  it("reads Postgres when last_seq is older than the window", async () => {
    const { room, bob, a } = await roomWith(20);
    await redis().zremrangebyrank(`chat:${room.code}:messages`, 0, 9); // the window now starts at 11
    const b = await connectResuming(room.code, bob.session_token, 3);
    await b.waitForMessages(17);
    expect(seqs(b)).toEqual(range(4, 20));
    expect(b.messages()[0]!.content).toBe("m4");
    [a, b].forEach((c) => c.close());
  });

  it("has no gap and no duplicate when sends happen during the reconnect", async () => {
    const { room, bob, a } = await roomWith(40);
    const first = await connect(room.code, bob.session_token);
    await first.nextFrame("presence");
    first.close();
    // Sends keep coming while bob reconnects with what he had.
    for (let i = 0; i < 30; i++) a.send({ message: `during${i}` });
    const b = await connectResuming(room.code, bob.session_token, 25);
    for (let i = 0; i < 30; i++) a.send({ message: `after${i}` });
    await a.waitForMessages(100, 60_000);
    await b.until("all 75", () => b.messages().length >= 75, 30_000);
    expect(seqs(b)).toEqual(range(26, 100));
    [a, b].forEach((c) => c.close());
  });

  it("sends nothing for a last_seq at the newest message, and refuses a bad one with an error frame", async () => {
    const { room, bob, a } = await roomWith(5);
    const b = await connectResuming(room.code, bob.session_token, 5);
    a.send({ message: "next" });
    await b.waitForMessages(1);
    expect(seqs(b)).toEqual([6]);
    const bad = await connectResuming(room.code, bob.session_token, "abc");
    const err = await bad.nextFrame("error");
    expect(err.code).toBe("INVALID_LAST_SEQ");
    expect(bad.closed).toBeNull();
    [a, b, bad].forEach((c) => c.close());
  });
});

describe("exactly-once sends", () => {
  it("stores a send retried with the same client_id once and acknowledges the retry with the original", async () => {
    const { room, alice, bob, a } = await roomWith(0);
    const b = await connect(room.code, bob.session_token);
    a.send({ message: "hello once", client_id: "c-1" });
    await a.until("ack", () => a.messages().filter((m) => m.client_id === "c-1").length === 1);
    const original = a.messages().find((m) => m.client_id === "c-1")!;
    // The client did not see the ack (say) and retries, on the socket and over REST.
    a.send({ message: "hello once", client_id: "c-1" });
    await a.until("second ack", () => a.messages().filter((m) => m.client_id === "c-1").length === 2);
    const rest = await api("POST", `/api/chats/${room.code}/messages/send/`, {
      body: { message: "hello once", client_id: "c-1", session_token: alice.session_token },
    });
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ id: original.id, seq: original.seq, client_id: "c-1" });
    const acks = a.messages().filter((m) => m.client_id === "c-1");
    expect(acks.map((m) => m.id)).toEqual([original.id, original.id]);

    // Two copies sent back to back (one batch) are one message too.
    a.send({ message: "twin", client_id: "c-2" });
    a.send({ message: "twin", client_id: "c-2" });
    a.send({ message: "after", client_id: "c-3" });
    await a.until("c-3", () => a.messages().some((m) => m.client_id === "c-3"));
    b.send({ type: "ping" });
    await b.nextFrame("pong");
    expect(b.messages().map((m) => m.content)).toEqual(["hello once", "twin", "after"]);
    await settled(room.code);
    const history = (await api("GET", `/api/chats/${room.code}/messages/`)).body.messages;
    expect(history.map((m: any) => [m.seq, m.content])).toEqual([
      [1, "hello once"],
      [2, "twin"],
      [3, "after"],
    ]);
    // Another participant may use the same client_id.
    b.send({ message: "mine", client_id: "c-1" });
    await b.until("bob's ack", () => b.messages().some((m) => m.client_id === "c-1"));
    expect(b.messages().find((m) => m.client_id === "c-1")!.seq).toBe(4);
    [a, b].forEach((c) => c.close());
  });
});

describe("Redis faults", () => {
  it("keeps storing and broadcasting while Redis is down, then rebuilds the window from Postgres", async () => {
    const { room, alice, bob, a } = await roomWith(3);
    const b = await connect(room.code, bob.session_token);
    const started = Date.now();
    await withRedisFault(async () => {
      for (let i = 0; i < 5; i++) a.send({ message: `while down ${i}` });
      await b.waitForMessages(5, 30_000);
      // A message deleted during the outage must not come back with the rebuild.
      const victim = b.messages()[0]!;
      expect((await api("POST", `/api/chats/${room.code}/messages/${victim.id}/delete/`, { body: { session_token: alice.session_token } })).status).toBe(200);
      const history = (await api("GET", `/api/chats/${room.code}/messages/?limit=100`)).body.messages;
      expect(history.map((m: any) => m.seq)).toEqual([1, 2, 3, 5, 6, 7, 8]);
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await windowSeqs(room.code)).toEqual([1, 2, 3]);
    // Redis answers again: the next send brings the whole window back from Postgres once the
    // room's short pause on a failing cache is over. Move the room's clock past it.
    await runInDurableObject(env.CHAT_ROOM.getByName(room.code), (instance) => {
      instance.now = () => Date.now() + CACHE_PAUSE_MS;
    });
    a.send({ message: "back" });
    await b.waitForMessages(6);
    await expect.poll(() => windowSeqs(room.code), { timeout: 10_000 }).toEqual([1, 2, 3, 5, 6, 7, 8, 9]);
    [a, b].forEach((c) => c.close());
  });

  it("does not let a slow Redis hold up sends", async () => {
    const { room, bob, a } = await roomWith(1);
    const b = await connect(room.code, bob.session_token);
    await withRedisFault(async () => {
      const t0 = Date.now();
      for (let i = 0; i < 10; i++) a.send({ message: `slow ${i}` });
      await b.waitForMessages(10, 30_000);
      // Calls time out after 1.5 s (one retry); after the first failure the room stops waiting on Redis.
      expect(Date.now() - t0).toBeLessThan(8_000);
    }, 10_000);
    [a, b].forEach((c) => c.close());
  });
});

describe.runIf(env.SEND_COMMIT === "postgres")("Postgres faults (strict commit)", () => {
  it("refuses sends with DB_UNAVAILABLE on an open socket and recovers by itself", async () => {
    const { room, bob, a } = await roomWith(2);
    const b = await connect(room.code, bob.session_token);
    await withPostgresDown(async () => {
      a.send({ message: "lost?", client_id: "down-1" });
      const err = await a.nextFrame("error");
      expect(err).toMatchObject({ code: "DB_UNAVAILABLE", client_id: "down-1" });
      expect(a.closed).toBeNull();
    });
    a.send({ message: "lost?", client_id: "down-1" });
    await b.waitForMessages(1);
    expect(b.messages()[0]).toMatchObject({ seq: 3, content: "lost?" });
    [a, b].forEach((c) => c.close());
  });
});

describe("restarts and hibernation", () => {
  it("continues seq without a gap after the room is evicted, and hibernated sockets keep working", async () => {
    const { room, bob, a } = await roomWith(4);
    const b = await connect(room.code, bob.session_token);
    await evictDurableObject(env.CHAT_ROOM.getByName(room.code));
    a.send({ message: "after eviction" });
    await b.waitForMessages(1);
    expect(b.messages()[0]).toMatchObject({ seq: 5, content: "after eviction" });
    b.send({ message: "reply from bob" });
    await a.until("bob's message", () => a.messages().some((m) => m.content === "reply from bob"));
    expect(a.messages().at(-1)!.seq).toBe(6);
    [a, b].forEach((c) => c.close());
  });
});
