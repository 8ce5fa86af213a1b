// Money through the public API with the test payment provider, and the
// Stripe webhook with payloads signed exactly as Stripe signs them.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom, redis, register, unique, type Client } from "./support/api";
import { webhook } from "./support/payments";
import { history } from "./support/room-actions";
import { holdRoomClock } from "./support/room-clock";

// vitest.config.ts sets PIN_SECONDS_PER_MINUTE = 3: a $1 pin (10 minutes) lasts 30 s here, so none
// ends while a slow machine runs a test; the test that watches a pin end moves the room's clock.
const PIN_SECONDS_PER_MINUTE = 3;

async function paidRoom() {
  const { host, room } = await newRoom();
  const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
  const alice = await join(room.code, "alice_pays");
  const bob = await join(room.code, "bob_pays");
  const send = async (message: string, session_token = alice.session_token) =>
    (await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message, session_token } })).body;
  return { host, room, hostSession, alice, bob, send };
}

const pin = (code: string, id: string, session_token: string, amount_cents: unknown, key: string | null = unique("k"), headers: Record<string, string> = {}) =>
  api("POST", `/api/chats/${code}/messages/${id}/pin/`, {
    body: { session_token, amount_cents },
    headers: { ...(key ? { "Idempotency-Key": key } : {}), ...headers },
  });

const tip = (code: string, session_token: string, amount_cents: unknown, key: string = unique("k")) =>
  api("POST", `/api/chats/${code}/tip/`, { body: { session_token, amount_cents }, headers: { "Idempotency-Key": key } });

const earnings = async (token: string, code: string) =>
  ((await api("GET", "/api/auth/me/earnings/", { token })).body.rooms as any[]).find((r) => r.code === code);

const framesOf = (c: Client, type: string) => c.frames.filter((f) => f.type === type);

describe("paid pins", () => {
  it("pin → pinned frame, pinned set and history → expiry → unpinned frame", async () => {
    const { room, alice, bob, send } = await paidRoom();
    const message = await send("pin me");
    const watcher = await connect(room.code, bob.session_token);
    const before = Date.now();
    const res = await pin(room.code, message.id, alice.session_token, 100);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.transaction).toMatchObject({ type: "pin", amount_cents: 100, currency: "usd", status: "completed", message_id: message.id });
    expect(res.body.message).toMatchObject({ id: message.id, is_pinned: true, pin_amount_cents: 100 });
    const until = Date.parse(res.body.message.pinned_until);
    expect(until - before).toBeGreaterThan(10 * PIN_SECONDS_PER_MINUTE * 1000 - 1000);
    expect(until - before).toBeLessThan(10 * PIN_SECONDS_PER_MINUTE * 1000 + 1000);

    await watcher.until("pinned frame", () => framesOf(watcher, "pinned").length === 1);
    expect(framesOf(watcher, "pinned")[0]!.message).toMatchObject({ id: message.id, is_pinned: true });
    expect((await history(room.code)).pinned_messages.map((m: any) => m.id)).toEqual([message.id]);
    const cached = (await redis().zrange(`chat:${room.code}:pinned`, 0, -1, { withScores: true })) as unknown[];
    expect(cached[0]).toBe(message.id);
    expect(Number(cached[1])).toBe(until);

    // The room's alarm ends the pin: move the room's clock past its end and run the alarm now.
    const stub = env.CHAT_ROOM.getByName(room.code);
    await holdRoomClock(room.code, until + 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await watcher.until("unpinned frame", () => framesOf(watcher, "unpinned").length === 1);
    expect(framesOf(watcher, "unpinned")).toEqual([{ type: "unpinned", message_id: message.id }]);
    const after = await history(room.code);
    expect(after.pinned_messages).toEqual([]);
    expect(after.messages[0]).toMatchObject({ id: message.id, is_pinned: false, pin_amount_cents: 0 });
    expect(await redis().zscore(`chat:${room.code}:pinned`, message.id)).toBeNull();
    watcher.close();
  });

  it("orders pins by amount; taking the top needs the next tier; paying again adds and extends", async () => {
    const { room, alice, bob, send } = await paidRoom();
    const a = await send("first");
    const b = await send("second");
    expect((await pin(room.code, a.id, alice.session_token, 500)).status).toBe(200); // $5 → 20 min
    const low = await pin(room.code, b.id, bob.session_token, 700);
    expect(low.status).toBe(400);
    expect(low.body.code).toBe("BID_TOO_LOW");
    expect(low.body.details.minimum_cents).toBe(1000);
    const top = await pin(room.code, b.id, bob.session_token, 1000);
    expect(top.status).toBe(200);
    expect((await history(room.code)).pinned_messages.map((m: any) => [m.id, m.pin_amount_cents])).toEqual([
      [b.id, 1000],
      [a.id, 500],
    ]);

    // Paying again for a pinned message adds to it (no tier needed) and extends it from its end.
    const untilBefore = Date.parse((await history(room.code)).pinned_messages[1].pinned_until);
    const more = await pin(room.code, a.id, alice.session_token, 600);
    expect(more.status).toBe(200);
    expect(more.body.message.pin_amount_cents).toBe(1100);
    // $6 buys the $5 tier: 20 minutes more.
    expect(Date.parse(more.body.message.pinned_until) - untilBefore).toBe(20 * PIN_SECONDS_PER_MINUTE * 1000);
    expect((await history(room.code)).pinned_messages.map((m: any) => m.id)).toEqual([a.id, b.id]);
  });

  it("makes one payment per Idempotency-Key", async () => {
    const { host, room, alice, send } = await paidRoom();
    const message = await send("once");
    const key = unique("key");
    const first = await pin(room.code, message.id, alice.session_token, 200, key);
    const again = await pin(room.code, message.id, alice.session_token, 200, key);
    expect(again.status).toBe(200);
    expect(again.body.transaction.id).toBe(first.body.transaction.id);
    expect(again.body.message.pin_amount_cents).toBe(200);
    const reused = await pin(room.code, message.id, alice.session_token, 500, key);
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    // Parallel retries of one key are one payment too.
    const parallelKey = unique("key");
    const parallel = await Promise.all([1, 2, 3].map(() => pin(room.code, message.id, alice.session_token, 100, parallelKey)));
    expect(new Set(parallel.map((r) => r.body.transaction.id)).size).toBe(1);
    expect((await earnings(host.token, room.code)).pins_cents).toBe(300);
  });

  it("refuses bad amounts, missing keys and messages it cannot pin, moving no money", async () => {
    const { host, room, alice, send } = await paidRoom();
    const message = await send("target");
    for (const amount of [0, -100, 1.5, "500", null, undefined, 1e12, 99, 20_001, Number.MAX_SAFE_INTEGER, [100], { cents: 100 }]) {
      const res = await pin(room.code, message.id, alice.session_token, amount);
      expect(res.status, JSON.stringify(amount)).toBe(400);
      expect(res.body.code, JSON.stringify(amount)).toBe("INVALID_AMOUNT");
    }
    const noKey = await pin(room.code, message.id, alice.session_token, 100, null);
    expect(noKey.body.code).toBe("IDEMPOTENCY_KEY_REQUIRED");
    const other = await paidRoom();
    const foreign = await other.send("elsewhere");
    expect((await pin(room.code, foreign.id, alice.session_token, 100)).body.code).toBe("MESSAGE_NOT_FOUND");
    expect((await pin(room.code, "not-a-uuid", alice.session_token, 100)).status).toBe(404);
    await api("POST", `/api/chats/${room.code}/messages/${message.id}/delete/`, { body: { session_token: alice.session_token } });
    expect((await pin(room.code, message.id, alice.session_token, 100)).body.code).toBe("MESSAGE_NOT_FOUND");
    const declined = await pin(room.code, (await send("declined")).id, alice.session_token, 100, unique("k"), { "X-Test-Payment-Outcome": "declined" });
    expect(declined.status).toBe(402);
    expect(declined.body.code).toBe("PAYMENT_DECLINED");
    expect((await history(room.code)).pinned_messages).toEqual([]);
    expect(await earnings(host.token, room.code)).toMatchObject({ pins_cents: 0, total_cents: 0 });
    expect((await pin(room.code, message.id, "not-a-token", 100)).status).toBe(403);
  });

  it("can pin a message older than the Redis window (read from Postgres)", async () => {
    const { room, alice, send } = await paidRoom();
    const old = await send("old one");
    await redis().del(`chat:${room.code}:messages`);
    const res = await pin(room.code, old.id, alice.session_token, 100);
    expect(res.status).toBe(200);
    expect(res.body.message.content).toBe("old one");
  });
});

describe("the payment webhook", () => {
  it("completes a pending payment once, however often it is delivered", async () => {
    const { room, alice, bob, send } = await paidRoom();
    const message = await send("pay later");
    const watcher = await connect(room.code, bob.session_token);
    const pending = await pin(room.code, message.id, alice.session_token, 200, unique("k"), { "X-Test-Payment-Outcome": "pending" });
    expect(pending.status).toBe(402);
    expect(pending.body.transaction.status).toBe("pending");
    expect(typeof pending.body.client_secret).toBe("string");
    expect((await history(room.code)).pinned_messages).toEqual([]);

    const object = { id: pending.body.transaction.provider_payment_id, object: "payment_intent", status: "succeeded" };
    const first = await webhook("payment_intent.succeeded", object);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ received: true, applied: true });
    await watcher.until("pinned", () => framesOf(watcher, "pinned").length === 1);
    const replay = await webhook("payment_intent.succeeded", object);
    expect(replay.body).toEqual({ received: true, applied: false });
    const pins = (await history(room.code)).pinned_messages;
    expect(pins.map((m: any) => [m.id, m.pin_amount_cents])).toEqual([[message.id, 200]]);
    // The retried request now answers completed.
    watcher.close();
  });

  it("refuses forged, missing and stale signatures and unknown payments, changing nothing", async () => {
    const { room, alice, send } = await paidRoom();
    const message = await send("contested");
    const pending = await pin(room.code, message.id, alice.session_token, 100, unique("k"), { "X-Test-Payment-Outcome": "pending" });
    const object = { id: pending.body.transaction.provider_payment_id, object: "payment_intent" };

    const forged = await webhook("payment_intent.succeeded", object, { secret: "whsec_someone_else" });
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe("SIGNATURE_INVALID");
    const missing = await webhook("payment_intent.succeeded", object, { signature: null });
    expect(missing.body.code).toBe("SIGNATURE_MISSING");
    const garbage = await webhook("payment_intent.succeeded", object, { signature: "t=1,v1=deadbeef" });
    expect(garbage.body.code).toBe("SIGNATURE_INVALID");
    const stale = await webhook("payment_intent.succeeded", object, { at: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(400);
    const unknown = await webhook("payment_intent.succeeded", { id: "pi_unknown_123", object: "payment_intent" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("PAYMENT_NOT_FOUND");
    expect((await history(room.code)).pinned_messages).toEqual([]);

    // A canceled payment is final: a later success cannot revive it.
    expect((await webhook("payment_intent.canceled", object)).body.applied).toBe(true);
    expect((await webhook("payment_intent.succeeded", object)).body.applied).toBe(false);
    expect((await history(room.code)).pinned_messages).toEqual([]);
    // Events it does not act on are acknowledged.
    expect((await webhook("customer.created", { id: "cus_1", object: "customer" })).body).toEqual({ received: true, applied: false });
  });
});

describe("tips", () => {
  it("posts one system message per tip and counts it in the host's earnings", async () => {
    const { host, room, hostSession, alice } = await paidRoom();
    const watcher = await connect(room.code, hostSession.session_token);
    const key = unique("tip");
    const res = await tip(room.code, alice.session_token, 500, key);
    expect(res.status).toBe(200);
    expect(res.body.transaction).toMatchObject({ type: "tip", amount_cents: 500, status: "completed" });
    expect((await tip(room.code, alice.session_token, 500, key)).body.transaction.id).toBe(res.body.transaction.id);
    await tip(room.code, alice.session_token, 250);

    await watcher.waitForMessages(2);
    const system = (await history(room.code)).messages.filter((m: any) => m.message_type === "system");
    expect(system.map((m: any) => m.content)).toEqual(["alice_pays tipped the host $5.00", "alice_pays tipped the host $2.50"]);
    expect(watcher.messages().map((m) => m.content)).toEqual(["alice_pays tipped the host $5.00", "alice_pays tipped the host $2.50"]);
    expect(await earnings(host.token, room.code)).toMatchObject({ tips_cents: 750, total_cents: 750, payments: 2 });
    watcher.close();
  });

  it("refuses a tip from the host and bad amounts", async () => {
    const { host, room, hostSession, alice } = await paidRoom();
    const self = await tip(room.code, hostSession.session_token, 500);
    expect(self.status).toBe(400);
    expect(self.body.code).toBe("CANNOT_TIP_SELF");
    for (const amount of [0, -5, 99, 2.5, "5", 50_001]) expect((await tip(room.code, alice.session_token, amount)).status).toBe(400);
    expect((await history(room.code)).messages).toEqual([]);
    expect((await earnings(host.token, room.code)).total_cents).toBe(0);
    const stranger = await register();
    expect((await api("GET", "/api/auth/me/earnings/", { token: stranger.token })).body).toEqual({ currency: "usd", rooms: [], next_after: null, total_cents: 0 });
    expect((await api("GET", "/api/auth/me/earnings/")).status).toBe(401);
  });
});

describe("the back room", () => {
  const openBackroom = (code: string, session_token: string, body: Record<string, unknown>) =>
    api("POST", `/api/chats/${code}/backroom/`, { body: { session_token, ...body } });
  const joinBackroom = (code: string, session_token: string, key = unique("k"), headers: Record<string, string> = {}) =>
    api("POST", `/api/chats/${code}/backroom/join/`, { body: { session_token }, headers: { "Idempotency-Key": key, ...headers } });

  it("is for paying members and the host only, in frames, history and Redis", async () => {
    const { room, hostSession, alice, bob } = await paidRoom();
    const closed = await joinBackroom(room.code, alice.session_token);
    expect(closed.body.code).toBe("BACKROOM_DISABLED");
    const opened = await openBackroom(room.code, hostSession.session_token, { enabled: true, price_cents: 300, seat_limit: 5 });
    expect(opened.body.backroom).toMatchObject({ enabled: true, price_cents: 300, seat_limit: 5, seats_taken: 0, seats_left: 5 });
    expect((await openBackroom(room.code, alice.session_token, { enabled: false })).body.code).toBe("HOST_ONLY");

    const paid = await joinBackroom(room.code, alice.session_token);
    expect(paid.status).toBe(200);
    expect(paid.body.transaction).toMatchObject({ type: "back_room", amount_cents: 300, status: "completed" });
    expect((await joinBackroom(room.code, alice.session_token)).body.code).toBe("ALREADY_MEMBER");
    const info = await api("GET", `/api/chats/${room.code}/backroom/?session_token=${alice.session_token}`);
    expect(info.body.backroom).toMatchObject({ seats_taken: 1, is_member: true });

    const a = await connect(room.code, alice.session_token);
    const h = await connect(room.code, hostSession.session_token);
    const b = await connect(room.code, bob.session_token);
    a.send({ message: "members only", channel: "backroom", client_id: "br1" });
    await a.until("own copy", () => a.messages().some((m) => m.client_id === "br1"));
    await h.waitForMessages(1);
    expect(h.messages()[0]).toMatchObject({ content: "members only", channel: "backroom", seq: 1 });
    b.send({ type: "ping" });
    await b.nextFrame("pong");
    expect(b.messages()).toEqual([]);

    // A non-member can neither send there nor read it.
    b.send({ message: "let me in", channel: "backroom", client_id: "x1" });
    const refused = await b.nextFrame("error");
    expect(refused).toMatchObject({ code: "NOT_BACKROOM_MEMBER", client_id: "x1" });
    const restSend = await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message: "hi", channel: "backroom", session_token: bob.session_token } });
    expect(restSend.status).toBe(403);
    const read = await api("GET", `/api/chats/${room.code}/backroom/messages/?session_token=${bob.session_token}`);
    expect(read.status).toBe(403);
    expect(read.body.code).toBe("NOT_BACKROOM_MEMBER");

    const members = await api("GET", `/api/chats/${room.code}/backroom/messages/?session_token=${alice.session_token}`);
    expect(members.body.messages.map((m: any) => m.content)).toEqual(["members only"]);
    expect((await history(room.code)).messages).toEqual([]);
    const cached = (await redis().zrange(`chat:${room.code}:backroom:messages`, 0, -1)) as string[];
    expect(cached.map((m) => JSON.parse(m).content)).toEqual(["members only"]);
    expect(await redis().zcard(`chat:${room.code}:messages`)).toBe(0);
    [a, h, b].forEach((c) => c.close());
  });

  it("never oversells seats under concurrent purchases", async () => {
    const { host, room, hostSession } = await paidRoom();
    await openBackroom(room.code, hostSession.session_token, { enabled: true, price_cents: 100, seat_limit: 3 });
    const buyers = await Promise.all(Array.from({ length: 8 }, () => join(room.code)));
    const results = await Promise.all(buyers.map((b) => joinBackroom(room.code, b.session_token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.code === "BACKROOM_FULL")).toBe(true);
    expect((await api("GET", `/api/chats/${room.code}/backroom/`)).body.backroom).toMatchObject({ seats_taken: 3, seats_left: 0 });
    expect((await earnings(host.token, room.code)).back_room_cents).toBe(300);
  });

  it("refuses bad settings and a declined payment leaves no seat taken", async () => {
    const { room, hostSession, alice } = await paidRoom();
    for (const body of [{ enabled: true }, { enabled: true, price_cents: 0, seat_limit: 2 }, { enabled: true, price_cents: 300, seat_limit: 0 }, { enabled: "yes" }, { enabled: true, price_cents: 1.5, seat_limit: 2 }]) {
      expect((await openBackroom(room.code, hostSession.session_token, body)).status, JSON.stringify(body)).toBe(400);
    }
    await openBackroom(room.code, hostSession.session_token, { enabled: true, price_cents: 300, seat_limit: 1 });
    const declined = await joinBackroom(room.code, alice.session_token, unique("k"), { "X-Test-Payment-Outcome": "declined" });
    expect(declined.status).toBe(402);
    expect((await api("GET", `/api/chats/${room.code}/backroom/`)).body.backroom.seats_taken).toBe(0);
    expect((await joinBackroom(room.code, hostSession.session_token)).body.code).toBe("ALREADY_MEMBER");
  });
});
