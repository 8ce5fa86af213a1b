// Refunds and disputes take back only what that payment bought: a refund of one
// top-up leaves the rest of the pin, a partial refund takes its fraction, a
// payment into a pin that already ended touches no newer pin, and a lost
// dispute takes back like a refund. Webhooks are signed as Stripe signs them;
// the test provider's payments complete at once.
import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom, unique, type Client } from "./support/api";
import { webhook } from "./support/payments";
import { history } from "./support/room-actions";

// vitest.config.ts: a pin minute lasts 3 s ($1 → 10 minutes → 30 s; $20 → 60 minutes → 180 s).
const PIN_MINUTE_MS = 3_000;

async function paidRoom() {
  const { host, room } = await newRoom();
  await join(room.code, host.user.reserved_username, { token: host.token });
  const alice = await join(room.code, "alice_pays");
  const bob = await join(room.code, "bob_pays");
  const sent = await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message: "pin me", session_token: alice.session_token } });
  return { host, room, alice, bob, message: sent.body as { id: string } };
}

async function pin(code: string, messageId: string, session_token: string, amount_cents: number) {
  const res = await api("POST", `/api/chats/${code}/messages/${messageId}/pin/`, { body: { session_token, amount_cents }, headers: { "Idempotency-Key": unique("k") } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { transaction: { id: string; provider_payment_id: string }; message: { pinned_until: string; pin_amount_cents: number } };
}

const refunded = (intent: string, amount: number, amount_refunded: number) =>
  webhook("charge.refunded", { id: `ch_${unique()}`, object: "charge", payment_intent: intent, amount, amount_refunded, refunded: amount_refunded >= amount });

const dispute = (type: "created" | "closed", intent: string, amount: number, status: string) =>
  webhook(`charge.dispute.${type}`, { id: `dp_${unique()}`, object: "dispute", payment_intent: intent, amount, status });

async function pinned(code: string, messageId: string) {
  return (await history(code)).messages.find((m: { id: string }) => m.id === messageId) as { is_pinned: boolean; pin_amount_cents: number; pinned_until: string };
}

const earnings = async (token: string, code: string) =>
  ((await api("GET", "/api/auth/me/earnings/", { token })).body.rooms as { code: string }[]).find((r) => r.code === code);

const lastPinnedFrame = (c: Client) => c.frames.filter((f) => f.type === "pinned").at(-1);

describe("a refund takes back only that payment's share", () => {
  it("of a pin others paid into: a $1 top-up refunded leaves the $20 and its time, and the room sees the shorter pin", async () => {
    const { host, room, alice, bob, message } = await paidRoom();
    const watcher = await connect(room.code, alice.session_token);
    await pin(room.code, message.id, alice.session_token, 2000);
    const topUp = await pin(room.code, message.id, bob.session_token, 100);
    const before = Date.parse(topUp.message.pinned_until);
    expect(topUp.message.pin_amount_cents).toBe(2100);

    const res = await refunded(topUp.transaction.provider_payment_id, 100, 100);
    expect(res.body).toEqual({ received: true, applied: true });
    const now = await pinned(room.code, message.id);
    expect(now).toMatchObject({ is_pinned: true, pin_amount_cents: 2000 });
    // The ten minutes the $1 bought, and not a second more.
    expect(before - Date.parse(now.pinned_until)).toBe(10 * PIN_MINUTE_MS);
    await watcher.until("a pinned frame with the new amount", () => lastPinnedFrame(watcher)?.message.pin_amount_cents === 2000);
    expect(watcher.frames.some((f) => f.type === "unpinned")).toBe(false);
    expect(await earnings(host.token, room.code)).toMatchObject({ pins_cents: 2000, total_cents: 2000, refunded_cents: 100 });
    watcher.close();
  });

  it("partially: $0.01 of a $1 top-up takes a hundredth, the same event again takes nothing, the rest later takes the rest", async () => {
    const { host, room, alice, bob, message } = await paidRoom();
    await pin(room.code, message.id, alice.session_token, 2000);
    const topUp = await pin(room.code, message.id, bob.session_token, 100);
    const before = Date.parse(topUp.message.pinned_until);
    const intent = topUp.transaction.provider_payment_id;

    expect((await refunded(intent, 100, 1)).body.applied).toBe(true);
    let now = await pinned(room.code, message.id);
    expect(now).toMatchObject({ is_pinned: true, pin_amount_cents: 2099 });
    expect(before - Date.parse(now.pinned_until)).toBe(Math.round((10 * PIN_MINUTE_MS) / 100));
    // Stripe resends events: amount_refunded is a running total, so the same total takes nothing twice.
    expect((await refunded(intent, 100, 1)).body.applied).toBe(false);
    expect(await earnings(host.token, room.code)).toMatchObject({ pins_cents: 2099, refunded_cents: 1 });

    expect((await refunded(intent, 100, 100)).body.applied).toBe(true);
    now = await pinned(room.code, message.id);
    expect(now).toMatchObject({ is_pinned: true, pin_amount_cents: 2000 });
    expect(before - Date.parse(now.pinned_until)).toBe(10 * PIN_MINUTE_MS);
    // More than was paid is capped at what was paid.
    expect((await refunded(intent, 100, 5000)).body.applied).toBe(false);
    expect(await earnings(host.token, room.code)).toMatchObject({ pins_cents: 2000, refunded_cents: 100 });
  });

  it("a partly refunded seat stays (shown as refunded_cents); a fully refunded one is given up", async () => {
    const { host, room, alice } = await paidRoom();
    const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
    await api("POST", `/api/chats/${room.code}/backroom/`, { body: { enabled: true, price_cents: 500, seat_limit: 3 }, headers: { "X-Session-Token": hostSession.session_token } });
    const seat = await api("POST", `/api/chats/${room.code}/backroom/join/`, { body: {}, headers: { "X-Session-Token": alice.session_token, "Idempotency-Key": unique("s") } });
    expect(seat.status).toBe(200);
    const isMember = async () => (await api("GET", `/api/chats/${room.code}/backroom/`, { headers: { "X-Session-Token": alice.session_token } })).body.backroom.is_member;
    const intent = seat.body.transaction.provider_payment_id;
    expect((await refunded(intent, 500, 200)).body.applied).toBe(true);
    expect(await isMember()).toBe(true);
    expect(await earnings(host.token, room.code)).toMatchObject({ back_room_cents: 300, refunded_cents: 200 });
    expect((await refunded(intent, 500, 500)).body.applied).toBe(true);
    expect(await isMember()).toBe(false);
  });

  it("refunding a payment into a pin that already ended leaves the newer pin of that message alone", async () => {
    const { room, alice, bob, message } = await paidRoom();
    const old = await pin(room.code, message.id, alice.session_token, 100);
    // Alice's $1 pin lasts 30 s here; wait it out, then Bob starts a new pin on the same message.
    await new Promise((r) => setTimeout(r, Date.parse(old.message.pinned_until) - Date.now() + 500));
    const fresh = await pin(room.code, message.id, bob.session_token, 500);
    expect(fresh.message.pin_amount_cents).toBe(500);
    expect((await refunded(old.transaction.provider_payment_id, 100, 100)).body.applied).toBe(true);
    const now = await pinned(room.code, message.id);
    expect(now).toMatchObject({ is_pinned: true, pin_amount_cents: 500, pinned_until: fresh.message.pinned_until });
  });
});

describe("disputes", () => {
  it("an open dispute shows in the host's earnings; a lost one takes back like a refund; a won one takes nothing", async () => {
    const { host, room, alice, bob, message } = await paidRoom();
    await pin(room.code, message.id, alice.session_token, 2000);
    const topUp = await pin(room.code, message.id, bob.session_token, 500);
    const tip = await api("POST", `/api/chats/${room.code}/tip/`, { body: { session_token: alice.session_token, amount_cents: 300 }, headers: { "Idempotency-Key": unique("t") } });
    const tipIntent = tip.body.transaction.provider_payment_id as string;

    expect((await dispute("created", topUp.transaction.provider_payment_id, 500, "needs_response")).body.applied).toBe(true);
    expect((await dispute("created", tipIntent, 300, "needs_response")).body.applied).toBe(true);
    expect(await earnings(host.token, room.code)).toMatchObject({ pins_cents: 2500, tips_cents: 300, disputed_cents: 800, refunded_cents: 0 });
    expect((await pinned(room.code, message.id)).pin_amount_cents).toBe(2500);

    expect((await dispute("closed", topUp.transaction.provider_payment_id, 500, "lost")).body.applied).toBe(true);
    expect((await dispute("closed", tipIntent, 300, "won")).body.applied).toBe(true);
    expect(await earnings(host.token, room.code)).toMatchObject({ pins_cents: 2000, tips_cents: 300, disputed_cents: 0, refunded_cents: 500 });
    expect((await pinned(room.code, message.id)).pin_amount_cents).toBe(2000);
    // Decided stays decided: a late "created" or a second "closed" changes nothing.
    expect((await dispute("created", tipIntent, 300, "needs_response")).body.applied).toBe(false);
    expect((await dispute("closed", topUp.transaction.provider_payment_id, 500, "lost")).body.applied).toBe(false);
  });

  it("a malformed amount is refused and changes nothing; a refund of a payment still pending takes nothing", async () => {
    const { host, room, alice, bob, message } = await paidRoom();
    const paid = await pin(room.code, message.id, alice.session_token, 500);
    for (const amount_refunded of [-5, 1.5, "100"]) {
      const res = await webhook("charge.refunded", { id: `ch_${unique()}`, object: "charge", payment_intent: paid.transaction.provider_payment_id, amount: 500, amount_refunded });
      expect([res.status, res.body.code]).toEqual([400, "WEBHOOK_INVALID"]);
    }
    expect((await pinned(room.code, message.id)).pin_amount_cents).toBe(500);
    const pending = await api("POST", `/api/chats/${room.code}/tip/`, {
      body: { session_token: bob.session_token, amount_cents: 300 },
      headers: { "Idempotency-Key": unique("t"), "X-Test-Payment-Outcome": "pending" },
    });
    expect(pending.status).toBe(402);
    expect((await refunded(pending.body.transaction.provider_payment_id, 300, 300)).body.applied).toBe(false);
    expect(await earnings(host.token, room.code)).toMatchObject({ pins_cents: 500, tips_cents: 0, refunded_cents: 0 });
  });
});
