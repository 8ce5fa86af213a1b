// Round trips to Postgres and Redis per request and per send: at the edge,
// far from the database, each one costs the distance. The local stand-ins
// count them (Neon HTTP requests + queries over the room's WebSocket; Upstash
// requests), and each case here is measured with nothing else running.
// The budgets are the table in docs/ARCHITECTURE.md (Round trips per request).
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, connect, connectResuming, join, newRoom, register, settled, unique, standInCounts, withPostgresDown, withRedisFault, type Client } from "../support/api";

const strict = env.SEND_COMMIT === "postgres";
async function counts() {
  const { statements, upstash } = await standInCounts();
  return { pg: statements, redis: upstash };
}

/**
 * The round trips fn causes (waiting first for background work of earlier steps to end). The
 * stand-ins count everything the stack does, and now and then something unrelated adds to a
 * measurement (embedded PGlite drops an idle room connection, whose reconnect retries a query;
 * one CI run counted 2 for a send): it can only add, never take away, so the least of three runs
 * of fn is its own cost, while a real extra round trip shows in every run.
 */
async function cost(fn: () => Promise<unknown>) {
  let least: { pg: number; redis: number } | null = null;
  for (let run = 0; run < 3; run++) {
    await new Promise((r) => setTimeout(r, 150));
    const before = await counts();
    await fn();
    // Work a request leaves for after its answer (a rate limit counted then) is its own cost too.
    await new Promise((r) => setTimeout(r, 100));
    const after = await counts();
    const spent = { pg: after.pg - before.pg, redis: after.redis - before.redis };
    if (least === null || spent.pg + spent.redis < least.pg + least.redis) least = spent;
  }
  return least!;
}

describe("round trips per request", () => {
  it("history page: one Postgres round trip, no Redis; room details: none (the room keeps its facts); my-participation: none but its lookup budget", async () => {
    const { room } = await newRoom();
    const guest = await join(room.code, unique("rt_"), { fingerprint: "fp-round-trips" });
    const s = await connect(room.code, guest.session_token);
    for (let i = 0; i < 5; i++) s.send({ message: `m${i}` });
    await s.waitForMessages(5);
    await settled(room.code);
    expect(await cost(() => api("GET", `/api/chats/${room.code}/messages/`))).toEqual({ pg: 1, redis: 0 });
    expect(await cost(() => api("GET", `/api/chats/${room.code}/`))).toEqual({ pg: 0, redis: 0 });
    // A room that kept only its id (before rooms kept their facts) reads them once, then never.
    const stub = env.CHAT_ROOM.getByName(room.code);
    const { id } = (await api("GET", `/api/chats/${room.code}/`)).body;
    await runInDurableObject(stub, (_o, state) => state.storage.put("room", { code: room.code, id }));
    await evictDurableObject(stub);
    const first = await api("GET", `/api/chats/${room.code}/`);
    expect([first.status, first.body.code, first.body.message_count]).toEqual([200, room.code, 5]);
    expect(await cost(() => api("GET", `/api/chats/${room.code}/`))).toEqual({ pg: 0, redis: 0 });
    // The room answers an anonymous caller's participation; the per-address lookup budget is Upstash's, counted after the answer.
    expect(await cost(() => api("GET", `/api/chats/${room.code}/my-participation/?fingerprint=fp-round-trips`))).toEqual({ pg: 0, redis: 1 });
    s.close();
  });

  it("a message's reactions, with a session: one Postgres round trip (room, message, counts, standing), no Redis", async () => {
    const { room } = await newRoom();
    const guest = await join(room.code, unique("rt_"));
    const s = await connect(room.code, guest.session_token);
    s.send({ message: "react to me" });
    const [message] = await s.waitForMessages(1);
    await settled(room.code);
    const read = () => api("GET", `/api/chats/${room.code}/messages/${message!.id}/reactions/`, { headers: { "X-Session-Token": guest.session_token } });
    expect((await read()).status).toBe(200);
    expect(await cost(read)).toEqual({ pg: 1, redis: 0 });
    s.close();
  });

  it("join, anonymous or logged in, new or returning: one Postgres round trip, the rate limit's Redis call beside it", async () => {
    const { room } = await newRoom();
    expect(await cost(() => join(room.code, unique("rt_")))).toEqual({ pg: 1, redis: 1 });
    const account = await register();
    expect(await cost(() => join(room.code, unique("rt_"), { token: account.token }))).toEqual({ pg: 1, redis: 1 });
    const name = unique("rt_");
    await join(room.code, name, { fingerprint: "fp-returning" });
    expect(await cost(() => join(room.code, name, { fingerprint: "fp-returning" }))).toEqual({ pg: 1, redis: 1 });
  });

  it("register and login: at most two Postgres round trips and one Redis each", async () => {
    let account!: Awaited<ReturnType<typeof register>>;
    const registering = await cost(async () => (account = await register()));
    expect(registering.pg).toBeLessThanOrEqual(2);
    expect(registering.redis).toBeLessThanOrEqual(1);
    const login = await cost(() => api("POST", "/api/auth/login/", { body: { email: account.user.email, password: account.password } }));
    expect(login.pg).toBeLessThanOrEqual(2);
    expect(login.redis).toBeLessThanOrEqual(1);
  });

  it("logout: two Postgres round trips (the login's check; its revoke beside the rooms it joined), no Redis", async () => {
    const { room } = await newRoom();
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const account = await register();
      await join(room.code, unique("lo_"), { token: account.token });
      tokens.push(account.token);
    }
    expect(await cost(async () => expect((await api("POST", "/api/auth/logout/", { token: tokens.pop()! })).status).toBe(204))).toEqual({ pg: 2, redis: 0 });
  });
});

/** A socket of a new room whose first send Postgres and Redis already have. */
async function socketAfterOneSend() {
  const { room } = await newRoom();
  const guest = await join(room.code, unique("rt_"));
  const s = await connect(room.code, guest.session_token);
  await sendAndSettle(room.code, s, "warm up");
  return { code: room.code, s };
}

/** One send, seen back on its socket and then in Postgres and the Redis window. */
async function sendAndSettle(code: string, s: Client, message: string) {
  const seen = s.messages().length;
  s.send({ message });
  await s.waitForMessages(seen + 1);
  await settled(code);
}

/** One send with a client_id, until its sender has the acknowledgement. */
async function acknowledged(s: Client, message: string) {
  const clientId = unique("ack-");
  s.send({ message, client_id: clientId });
  await s.until("the ack", () => s.frames.some((f) => f.type === "message" && f.client_id === clientId));
}

describe("round trips per send", () => {
  it(strict ? "strict mode: one Postgres round trip per batch (the flush), before the broadcast" : "room mode: none before the broadcast; one Postgres (the flush) and one Redis (the window) after it", async () => {
    const { code, s } = await socketAfterOneSend();
    expect(await cost(() => sendAndSettle(code, s, "counted"))).toEqual({ pg: 1, redis: 1 });
    if (!strict) {
      // Neither store is on the path: with both away, a send is still broadcast and acknowledged.
      await withPostgresDown(() => withRedisFault(() => acknowledged(s, "both away")));
      await settled(code);
    }
    s.close();
  });

  it("a send to a room that just woke: the same as a warm room's (a wake reads no store); in room mode none before the broadcast, Postgres away throughout", async () => {
    const { code, s } = await socketAfterOneSend();
    const stub = env.CHAT_ROOM.getByName(code);
    const spent = await cost(async () => {
      await evictDurableObject(stub);
      await sendAndSettle(code, s, "first after a wake");
    });
    expect(spent).toEqual({ pg: 1, redis: 1 });
    if (!strict) {
      await withPostgresDown(async () => {
        await evictDurableObject(stub);
        await acknowledged(s, "cold and away");
      });
      await settled(code);
    }
    s.close();
  });

  it("REST send: the room's cost and nothing more", async () => {
    const { room } = await newRoom();
    const guest = await join(room.code, unique("rt_"));
    const send = (message: string) => api("POST", `/api/chats/${room.code}/messages/send/`, { body: { session_token: guest.session_token, message } });
    expect((await send("warm up")).status).toBe(201);
    await settled(room.code);
    const spent = await cost(async () => {
      expect((await send("counted")).status).toBe(201);
      await settled(room.code);
    });
    expect(spent).toEqual({ pg: 1, redis: 1 });
  });
});

describe("opening a room, first visit", () => {
  it("the entry (room, session, newest page): one Postgres round trip, the join's rate limit beside it; room details and history answer from the same batch", async () => {
    const { room } = await newRoom();
    const talker = await join(room.code, unique("rt_"));
    const s = await connect(room.code, talker.session_token);
    for (let i = 0; i < 3; i++) s.send({ message: `m${i}` });
    await s.waitForMessages(3);
    await settled(room.code);
    let entered: any;
    const enter = async () => {
      entered = await api("POST", `/api/chats/${room.code}/enter/`, { body: { username: unique("rt_"), fingerprint: unique("fp") } });
    };
    expect(await cost(enter)).toEqual({ pg: 1, redis: 1 });
    expect([entered.status, entered.body.room.message_count, entered.body.history.count]).toEqual([200, 3, 3]);
    // The original web client's first visit, call by call: room details, my-participation,
    // check-rate-limit and validate-username answer from the room; the join and the history page
    // are Postgres' (one round trip each).
    let visitor = 0;
    const original = async () => {
      const me = { username: unique("rt_"), fingerprint: `fp-visit-${visitor++}-${unique()}` };
      const q = `?fingerprint=${me.fingerprint}`;
      const ip = "10.9.8.7";
      for (const [method, path, body] of [
        ["GET", `/api/chats/${room.code}/`],
        ["GET", `/api/chats/${room.code}/my-participation/${q}`],
        ["GET", `/api/chats/${room.code}/check-rate-limit/${q}`],
        ["POST", `/api/chats/${room.code}/validate-username/`, me],
      ] as const) {
        expect((await api(method, path, { body, ip })).status).toBe(200);
      }
      const joined = await api("POST", `/api/chats/${room.code}/join/`, { body: me, ip: `10.9.${visitor}.1` });
      expect((await api("GET", `/api/chats/${room.code}/messages/`, { headers: { "X-Session-Token": joined.body.session_token } })).status).toBe(200);
    };
    expect(await cost(original)).toEqual({ pg: 2, redis: 4 });
    // validate-username: anonymous, from the room; logged in, the login and the accounts' reserved names in one batch.
    const check = () => api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: unique("rt_"), fingerprint: unique("fp") } });
    expect((await check()).body.available).toBe(true);
    expect(await cost(check)).toEqual({ pg: 0, redis: 1 });
    const account = await register();
    const checkLoggedIn = () => api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: unique("rt_") }, token: account.token });
    expect((await checkLoggedIn()).body.available).toBe(true);
    // (its name budget counts the address and the account side by side: two calls, one round trip of time)
    expect(await cost(checkLoggedIn)).toEqual({ pg: 1, redis: 2 });
    const rateCheck = () => api("GET", `/api/chats/${room.code}/check-rate-limit/?fingerprint=${unique("fp")}`);
    expect(await cost(rateCheck)).toEqual({ pg: 0, redis: 1 });
    s.close();
  });

  it("connect + backfill: none while the room's log holds the messages (reaction counts kept by the room)", async () => {
    const { room } = await newRoom();
    const guest = await join(room.code, unique("rt_"));
    const s = await connect(room.code, guest.session_token);
    for (let i = 0; i < 5; i++) s.send({ message: `m${i}` });
    const sent = await s.waitForMessages(5);
    const reacted = await api("POST", `/api/chats/${room.code}/messages/${sent[1]!.id}/react/`, { body: { emoji: "👍" }, headers: { "X-Session-Token": guest.session_token } });
    expect(reacted.status).toBeLessThan(300);
    await settled(room.code);
    let resumed!: Client;
    const spent = await cost(async () => {
      resumed?.close();
      resumed = await connectResuming(room.code, guest.session_token, 0);
      await resumed.waitForMessages(5);
    });
    expect(spent).toEqual({ pg: 0, redis: 0 });
    const backfill = resumed.messages();
    expect(backfill.map((m) => m.content)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(backfill[1]!.reactions).toEqual([{ emoji: "👍", count: 1 }]);
    resumed.close();
    s.close();
  });
});
