// Issue 21, hardening II, through the public API: money state follows the
// provider, pins and tips cannot be gamed, names cannot impersonate, and bad
// input never reaches a 500.
import { describe, expect, it } from "vitest";
import { api, join, newRoom, register, unique } from "./support/api";
import { history, remove } from "./support/room-actions";
import { webhook } from "./support/payments";
import { MINUTE, withinOneRateWindow } from "./support/rate-window";
import { encodeCursor } from "../src/domain/cursor";

async function paidRoom() {
  const { host, room } = await newRoom();
  const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
  const alice = await join(room.code, "alice_pays");
  const send = async (message: string) =>
    (await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message }, headers: { "X-Session-Token": alice.session_token } })).body;
  return { host, room, hostSession, alice, send };
}

const pin = (code: string, id: string, token: string, amount_cents: number, key = unique("k"), headers: Record<string, string> = {}) =>
  api("POST", `/api/chats/${code}/messages/${id}/pin/`, {
    body: { amount_cents },
    headers: { "X-Session-Token": token, "Idempotency-Key": key, ...headers },
  });

const intent = (providerPaymentId: string) => ({ id: providerPaymentId, object: "payment_intent" });

describe("5. payment state follows the provider", () => {
  it("a failed attempt is not final: a later success completes the purchase", async () => {
    const { room, alice, send } = await paidRoom();
    const message = await send("pin me later");
    const key = unique("k");
    const pending = await pin(room.code, message.id, alice.session_token, 100, key, { "X-Test-Payment-Outcome": "pending" });
    const pi = intent(pending.body.transaction.provider_payment_id);
    expect((await webhook("payment_intent.payment_failed", pi)).body.applied).toBe(false);
    const retry = await pin(room.code, message.id, alice.session_token, 100, key);
    expect([retry.status, retry.body.transaction.status]).toEqual([402, "pending"]);
    expect((await webhook("payment_intent.succeeded", pi)).body.applied).toBe(true);
    expect((await history(room.code)).pinned_messages.map((m: any) => m.id)).toEqual([message.id]);
  });

  it("a completion re-checks what it buys: a deleted message or an outbid pin is paid but not applied, and says why", async () => {
    const { room, alice, send } = await paidRoom();
    const gone = await send("deleted while paying");
    const low = await send("outbid while paying");
    const top = await send("the winner");
    const goneKey = unique("k");
    const lowKey = unique("k");
    const p1 = await pin(room.code, gone.id, alice.session_token, 100, goneKey, { "X-Test-Payment-Outcome": "pending" });
    const p2 = await pin(room.code, low.id, alice.session_token, 100, lowKey, { "X-Test-Payment-Outcome": "pending" });
    expect((await remove(room.code, gone.id, alice.session_token)).status).toBe(200);
    expect((await pin(room.code, top.id, alice.session_token, 500)).status).toBe(200);
    expect((await webhook("payment_intent.succeeded", intent(p1.body.transaction.provider_payment_id))).body.applied).toBe(false);
    expect((await webhook("payment_intent.succeeded", intent(p2.body.transaction.provider_payment_id))).body.applied).toBe(false);
    const again1 = await pin(room.code, gone.id, alice.session_token, 100, goneKey);
    expect(again1.body.transaction).toMatchObject({ status: "completed", not_applied_reason: "message_deleted" });
    const again2 = await pin(room.code, low.id, alice.session_token, 100, lowKey);
    expect(again2.body.transaction).toMatchObject({ status: "completed", not_applied_reason: "outbid" });
    expect((await history(room.code)).pinned_messages.map((m: any) => m.id)).toEqual([top.id]);
  });
});

describe("6. pins cannot block the room", () => {
  it("a deleted pinned message ends its pin and no longer sets the price; a $200 top pin can be matched", async () => {
    const { room, alice, send } = await paidRoom();
    const big = await send("two hundred dollars");
    expect((await pin(room.code, big.id, alice.session_token, 20_000)).status).toBe(200);
    const matched = await send("matching it");
    expect((await pin(room.code, matched.id, alice.session_token, 20_000)).status).toBe(200);
    expect((await remove(room.code, big.id, alice.session_token)).status).toBe(200);
    expect((await remove(room.code, matched.id, alice.session_token)).status).toBe(200);
    expect((await history(room.code)).pinned_messages).toEqual([]);
    const cheap = await send("a dollar now");
    const res = await pin(room.code, cheap.id, alice.session_token, 100);
    expect([res.status, res.body.message?.pin_amount_cents]).toEqual([200, 100]);
  });
});

describe("7. no self-tips", () => {
  it("refuses a tip from another session of the host's account, device or address", async () => {
    const { host, room } = await newRoom();
    const hostIp = "10.44.4.4";
    await api("POST", `/api/chats/${room.code}/join/`, {
      token: host.token,
      ip: hostIp,
      body: { username: host.user.reserved_username, fingerprint: "host-laptop" },
    });
    const tip = (token: string) =>
      api("POST", `/api/chats/${room.code}/tip/`, { body: { amount_cents: 5000 }, headers: { "X-Session-Token": token, "Idempotency-Key": unique("t") } });
    const sameDevice = await join(room.code, "sock_puppet1", { fingerprint: "host-laptop", ip: "10.45.5.5" });
    const sameAddress = await join(room.code, "sock_puppet2", { fingerprint: "phone", ip: hostIp });
    for (const s of [sameDevice, sameAddress]) {
      const res = await tip(s.session_token);
      expect([res.status, res.body.code]).toEqual([400, "CANNOT_TIP_SELF"]);
    }
    const fan = await join(room.code, "real_fan_1", { fingerprint: "fan-phone", ip: "10.46.6.6" });
    expect((await tip(fan.session_token)).status).toBe(200);
    const earnings = (await api("GET", "/api/auth/me/earnings/", { token: host.token })).body.rooms.find((r: any) => r.code === room.code);
    expect(earnings.tips_cents).toBe(5000);
  });
});

describe("9. names cannot impersonate", () => {
  it("reserved usernames are unique on a look-alike skeleton and staff words cannot be taken", async () => {
    const first = await register(`AI8pihk${unique().slice(0, 4)}`);
    const lookalike = first.user.reserved_username.replace("AI", "Al");
    const reg = (reserved_username: string) =>
      api("POST", "/api/auth/register/", { body: { email: `${unique("e")}@example.com`, password: "sturdy-pass-42", reserved_username } });
    expect((await reg(lookalike)).body.code).toBe("USERNAME_TAKEN");
    for (const name of ["ChatPop", "Admin_1", "moderat0r", "SystemBot", "the_chatpop"]) {
      const res = await reg(name);
      expect([name, res.status, res.body.code, res.body.details?.reason]).toEqual([name, 400, "INVALID_USERNAME", "reserved_word"]);
    }
    const { room } = await newRoom();
    const anon = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "ChatPop", fingerprint: "fp-imp" } });
    expect(anon.body.details?.reason).toBe("reserved_word");
    // A logged-in user cannot chat under a look-alike of another account's reserved name.
    const other = await register();
    const asLookalike = await api("POST", `/api/chats/${room.code}/join/`, { token: other.token, body: { username: lookalike } });
    expect(asLookalike.body.code).toBe("USERNAME_RESERVED");
  });

  it("room names and descriptions drop bidi overrides and towers of combining marks", async () => {
    const host = await register();
    const res = await api("POST", "/api/chats/create/", {
      token: host.token,
      body: { name: "Free \u202Egnp.exe\u202C stuff", description: "q\u0301\u0302\u0303\u0304\u0305\u0306\u0307 tall \u2066x\u2069" },
    });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe("Free gnp.exe stuff");
    expect(res.body.description).toBe("q\u0301\u0302\u0303 tall x");
    const empty = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "\u202E\u202C" } });
    expect(empty.body.code).toBe("VALIDATION_ERROR");
  });
});

describe("12. no 500 on bad input", () => {
  it("a history cursor past a 32-bit seq is 400 INVALID_CURSOR", async () => {
    const { room } = await newRoom();
    for (const before of [encodeCursor(2 ** 31), encodeCursor(2 ** 40)]) {
      const res = await api("GET", `/api/chats/${room.code}/messages/?before=${before}`);
      expect([res.status, res.body.code]).toEqual([400, "INVALID_CURSOR"]);
    }
  });
});

describe("3. address limits hold for IPv6 blocks", () => {
  it("register counts at the /64 and, with its own budget, at the /56: fresh /64s of one /56 run out", async () => {
    // RATE_LIMIT_REGISTER is 5/1 m here: a /56 gets 4 × 5 = 20. The 21 calls take about a second.
    await withinOneRateWindow(MINUTE, 15_000);
    const block = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${(Math.floor(Math.random() * 0xff) << 8).toString(16)}`;
    const reg = (i: number, ip: string) =>
      api("POST", "/api/auth/register/", { ip, body: { email: `${unique("v6")}@example.com`, password: "sturdy-pass-42", reserved_username: unique(`v${i}_`) } });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      // Each from its own /64 inside the same /56 (the /64 limit alone would never trip).
      const [a, b, c, d] = block.split(":");
      const ip = `${a}:${b}:${c}:${(parseInt(d!, 16) + i).toString(16)}::1`;
      statuses.push((await reg(i, ip)).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(201));
    expect(statuses[20]).toBe(429);
  });

  it("a /48 holds at most 12 anonymous names in a room, whatever its /64s", async () => {
    const { room } = await newRoom();
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++) {
      const res = await api("POST", `/api/chats/${room.code}/join/`, {
        ip: `${prefix}:${(i * 256).toString(16)}::7`,
        body: { username: `block_user${i}`, fingerprint: unique("fp") },
      });
      statuses.push(res.status);
      if (i === 12) expect(res.body.code).toBe("IP_USERNAME_LIMIT");
    }
    expect(statuses).toEqual([...Array(12).fill(200), 429]);
  });
});

describe("4. the host's earnings are paginated", () => {
  it("pages rooms by code with next_after; total_cents covers every room", async () => {
    const host = await register();
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await api("POST", "/api/chats/create/", { token: host.token, body: { name: `R${i}` } })).body.code);
    const tipper = await join(codes[0]!, "tipper_one");
    const tip = await api("POST", `/api/chats/${codes[0]}/tip/`, { body: { amount_cents: 300 }, headers: { "X-Session-Token": tipper.session_token, "Idempotency-Key": unique("t") } });
    expect(tip.status).toBe(200);
    const first = (await api("GET", "/api/auth/me/earnings/?limit=2", { token: host.token })).body;
    expect(first.rooms).toHaveLength(2);
    expect(first.total_cents).toBe(300);
    const second = (await api("GET", `/api/auth/me/earnings/?limit=2&after=${first.next_after}`, { token: host.token })).body;
    expect(second.rooms).toHaveLength(1);
    expect(second.next_after).toBeNull();
    expect([...first.rooms, ...second.rooms].map((r: any) => r.code)).toEqual([...codes].sort());
    expect((await api("GET", "/api/auth/me/earnings/?limit=0", { token: host.token })).status).toBe(400);
  });
});
