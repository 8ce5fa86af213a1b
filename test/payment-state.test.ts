// Payment state follows the provider (a failed attempt is not final, a completion re-checks
// what it buys), pins cannot block the room, and the host cannot tip itself.
import { describe, expect, it } from "vitest";
import { api, join, newRoom, unique } from "./support/api";
import { history, remove } from "./support/room-actions";
import { webhook } from "./support/payments";

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

describe("payment state follows the provider", () => {
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

describe("pins cannot block the room", () => {
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

describe("no self-tips", () => {
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
