// Payments through the real Stripe provider (the stripe SDK) against the local
// Stripe stand-in (dev/stripe-stand-in.ts): what reaches Stripe, a payment
// finished later by webhook, a declined card then a success, webhooks twice and
// out of order, a refund, an idempotent retry, and webhooks that must change nothing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom, unique, type Joined } from "../support/api";
import { history } from "../support/room-actions";
import { webhook } from "../support/payments";

interface Signed {
  event_id: string;
  type: string;
  payload: string;
  signature: string;
}

/** What the customer or Stripe does next, as the stand-in's admin command: answers the signed webhook event. */
async function stripeDoes(intentId: string, what: "succeed" | "fail" | "refund" | "dispute" | "dispute-lost", amount?: number): Promise<Signed> {
  const query = amount === undefined ? "" : `?amount=${amount}`;
  const res = await fetch(`${env.STRIPE_API_BASE}/__admin/payment_intents/${intentId}/${what}${query}`, { method: "POST" });
  expect(res.status).toBe(200);
  return (await res.json()) as Signed;
}

/** Stripe delivering an event to our webhook. */
const deliver = (event: Pick<Signed, "payload" | "signature">) =>
  api("POST", "/api/payments/webhook/", { rawBody: event.payload, headers: { "Content-Type": "application/json", "Stripe-Signature": event.signature } });

/** The PaymentIntent as Stripe holds it. */
async function intentAtStripe(id: string) {
  const res = await fetch(`${env.STRIPE_API_BASE}/v1/payment_intents/${id}`, { headers: { Authorization: "Bearer sk_test_reader" } });
  return (await res.json()) as { id: string; amount: number; currency: string; metadata: Record<string, string>; status: string };
}

async function roomWithBuyer() {
  const { host, room } = await newRoom();
  const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
  const buyer = await join(room.code, "buyer_stripe");
  const sent = await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message: "pin me" }, headers: { "X-Session-Token": buyer.session_token } });
  return { host, room, hostSession, buyer, message: sent.body };
}

const pin = (code: string, messageId: string, buyer: Joined, amount_cents: number, key = unique("k")) =>
  api("POST", `/api/chats/${code}/messages/${messageId}/pin/`, {
    body: { amount_cents },
    headers: { "X-Session-Token": buyer.session_token, "Idempotency-Key": key },
  });

describe("payments through Stripe (the local stand-in)", () => {
  it("a pin waits for the customer (402), reaches Stripe with our amount, currency and metadata, and applies once on the webhook", async () => {
    const { room, buyer, message } = await roomWithBuyer();
    const res = await pin(room.code, message.id, buyer, 500);
    expect(res.status).toBe(402);
    const { transaction, client_secret } = res.body;
    expect(transaction).toMatchObject({ status: "pending", provider: "stripe", amount_cents: 500, currency: "usd" });
    expect(client_secret).toMatch(/^pi_.+_secret_/);
    const atStripe = await intentAtStripe(transaction.provider_payment_id);
    expect(atStripe).toMatchObject({ amount: 500, currency: "usd", status: "requires_payment_method" });
    expect(atStripe.metadata).toEqual({ transaction_id: transaction.id, chat_code: room.code, type: "pin" });

    const succeeded = await stripeDoes(transaction.provider_payment_id, "succeed");
    expect((await deliver(succeeded)).body).toEqual({ received: true, applied: true });
    // Stripe retries: the same event again applies nothing.
    expect((await deliver(succeeded)).body).toEqual({ received: true, applied: false });
    const pins = (await history(room.code)).pinned_messages;
    expect(pins.map((m: any) => [m.id, m.pin_amount_cents])).toEqual([[message.id, 500]]);
  });

  it("a declined card leaves the purchase pending; a later success completes it, even when the failure arrives last", async () => {
    const { room, buyer, message } = await roomWithBuyer();
    const { transaction } = (await pin(room.code, message.id, buyer, 100)).body;
    const failed = await stripeDoes(transaction.provider_payment_id, "fail");
    expect((await deliver(failed)).body.applied).toBe(false);
    expect((await history(room.code)).pinned_messages).toEqual([]);
    const succeeded = await stripeDoes(transaction.provider_payment_id, "succeed");
    expect((await deliver(succeeded)).body.applied).toBe(true);
    // The failure event delivered again, late: it changes nothing.
    expect((await deliver(failed)).body.applied).toBe(false);
    expect((await history(room.code)).pinned_messages.map((m: any) => m.id)).toEqual([message.id]);
  });

  it("an idempotent retry after a dropped answer gets the same transaction and the same PaymentIntent", async () => {
    const { room, buyer, message } = await roomWithBuyer();
    const key = unique("k");
    const first = await pin(room.code, message.id, buyer, 200, key);
    const again = await pin(room.code, message.id, buyer, 200, key);
    expect(again.status).toBe(402);
    expect(again.body.transaction.id).toBe(first.body.transaction.id);
    expect(again.body.transaction.provider_payment_id).toBe(first.body.transaction.provider_payment_id);
    const other = await pin(room.code, message.id, buyer, 500, key);
    expect([other.status, other.body.code]).toEqual([409, "IDEMPOTENCY_KEY_REUSED"]);
  });

  it("a refund takes back what it bought: the pin ends (unpinned frame), the seat is given up", async () => {
    const { room, hostSession, buyer, message } = await roomWithBuyer();
    const watcher = await connect(room.code, buyer.session_token);
    const { transaction } = (await pin(room.code, message.id, buyer, 500)).body;
    expect((await deliver(await stripeDoes(transaction.provider_payment_id, "succeed"))).body.applied).toBe(true);
    expect((await history(room.code)).pinned_messages).toHaveLength(1);
    expect((await deliver(await stripeDoes(transaction.provider_payment_id, "refund"))).body.applied).toBe(true);
    expect((await history(room.code)).pinned_messages).toEqual([]);
    await watcher.until("the unpinned frame", () => watcher.frames.some((f) => f.type === "unpinned" && f.message_id === message.id));
    watcher.close();

    const open = await api("POST", `/api/chats/${room.code}/backroom/`, {
      body: { enabled: true, price_cents: 500, seat_limit: 3 },
      headers: { "X-Session-Token": hostSession.session_token },
    });
    expect(open.status).toBe(200);
    const seat = await api("POST", `/api/chats/${room.code}/backroom/join/`, {
      body: {},
      headers: { "X-Session-Token": buyer.session_token, "Idempotency-Key": unique("s") },
    });
    const seatIntent = seat.body.transaction.provider_payment_id;
    expect((await deliver(await stripeDoes(seatIntent, "succeed"))).body.applied).toBe(true);
    const isMember = async () =>
      (await api("GET", `/api/chats/${room.code}/backroom/`, { headers: { "X-Session-Token": buyer.session_token } })).body.backroom.is_member;
    expect(await isMember()).toBe(true);
    expect((await deliver(await stripeDoes(seatIntent, "refund"))).body.applied).toBe(true);
    expect(await isMember()).toBe(false);
    const send = await api("POST", `/api/chats/${room.code}/messages/send/`, {
      body: { message: "still in?", channel: "backroom" },
      headers: { "X-Session-Token": buyer.session_token },
    });
    expect(send.body.code).toBe("NOT_BACKROOM_MEMBER");
  });

  it("a partial refund of a top-up takes its share from the pin, and a lost dispute of the rest takes the rest of that share", async () => {
    const { host, room, hostSession, buyer, message } = await roomWithBuyer();
    const first = (await pin(room.code, message.id, hostSession, 2000)).body.transaction;
    expect((await deliver(await stripeDoes(first.provider_payment_id, "succeed"))).body.applied).toBe(true);
    const topUp = (await pin(room.code, message.id, buyer, 100)).body.transaction;
    expect((await deliver(await stripeDoes(topUp.provider_payment_id, "succeed"))).body.applied).toBe(true);
    const pinOf = async () => (await history(room.code)).pinned_messages.find((m: { id: string }) => m.id === message.id);
    expect((await pinOf()).pin_amount_cents).toBe(2100);
    expect((await deliver(await stripeDoes(topUp.provider_payment_id, "refund", 1))).body.applied).toBe(true);
    expect((await pinOf()).pin_amount_cents).toBe(2099);
    expect((await deliver(await stripeDoes(topUp.provider_payment_id, "dispute"))).body.applied).toBe(true);
    const rooms = async () => (await api("GET", "/api/auth/me/earnings/", { token: host.token })).body.rooms.find((r: any) => r.code === room.code);
    expect(await rooms()).toMatchObject({ pins_cents: 2099, disputed_cents: 99, refunded_cents: 1 });
    expect((await deliver(await stripeDoes(topUp.provider_payment_id, "dispute-lost"))).body.applied).toBe(true);
    expect((await pinOf()).pin_amount_cents).toBe(2000);
    expect(await rooms()).toMatchObject({ pins_cents: 2000, disputed_cents: 0, refunded_cents: 100 });
  });

  it("a refunded tip leaves the host's earnings and shows as refunded", async () => {
    const { host, room, buyer } = await roomWithBuyer();
    const tip = await api("POST", `/api/chats/${room.code}/tip/`, {
      body: { amount_cents: 700 },
      headers: { "X-Session-Token": buyer.session_token, "Idempotency-Key": unique("t") },
    });
    expect(tip.status).toBe(402);
    const intentId = tip.body.transaction.provider_payment_id;
    expect((await deliver(await stripeDoes(intentId, "succeed"))).body.applied).toBe(true);
    const earnings = async () => (await api("GET", "/api/auth/me/earnings/", { token: host.token })).body.rooms.find((r: any) => r.code === room.code);
    expect((await earnings()).tips_cents).toBe(700);
    expect((await deliver(await stripeDoes(intentId, "refund"))).body.applied).toBe(true);
    expect(await earnings()).toMatchObject({ tips_cents: 0, total_cents: 0, refunded_cents: 700 });
  });

  it("webhooks with a bad or stale signature, for an unknown intent or naming another room change nothing", async () => {
    const { room, buyer, message } = await roomWithBuyer();
    const { transaction } = (await pin(room.code, message.id, buyer, 100)).body;
    const succeeded = await stripeDoes(transaction.provider_payment_id, "succeed");
    // One hex digit of the signature changed (to another digit, whatever it was).
    const tampered = succeeded.signature.replace(/v1=(.)/, (_, d: string) => `v1=${d === "0" ? "1" : "0"}`);
    expect((await deliver({ payload: succeeded.payload, signature: tampered })).body.code).toBe("SIGNATURE_INVALID");
    expect((await deliver({ payload: succeeded.payload.replace("pin", "tip"), signature: succeeded.signature })).body.code).toBe("SIGNATURE_INVALID");
    const stale = `t=${Math.floor(Date.now() / 1000) - 3600},${succeeded.signature.split(",")[1]}`;
    expect((await deliver({ payload: succeeded.payload, signature: stale })).status).toBe(400);
    const elsewhere = await fetch(`${env.STRIPE_API_BASE}/v1/payment_intents`, {
      method: "POST",
      headers: { Authorization: "Bearer sk_test_other", "Content-Type": "application/x-www-form-urlencoded" },
      body: `amount=100&currency=usd&metadata[chat_code]=zzzzzzzz&metadata[transaction_id]=${transaction.id}`,
    }).then((r) => r.json() as Promise<{ id: string }>);
    // An intent we never made: unknown.
    const foreign = await stripeDoes(elsewhere.id, "succeed");
    expect((await deliver(foreign)).body.code).toBe("PAYMENT_NOT_FOUND");
    // Our intent, signed, but its metadata names another room: refused.
    const mismatch = await webhook(
      "payment_intent.succeeded",
      { id: transaction.provider_payment_id, object: "payment_intent", metadata: { chat_code: "zzzzzzzz", transaction_id: transaction.id } },
      { secret: env.STRIPE_WEBHOOK_SECRET },
    );
    expect([mismatch.status, mismatch.body.code]).toEqual([400, "PAYMENT_ROOM_MISMATCH"]);
    expect((await history(room.code)).pinned_messages).toEqual([]);
    expect((await deliver(succeeded)).body.applied).toBe(true);
  });
});

describe("what a browser needs to confirm a 402 payment", () => {
  it("the service index names Stripe, the publishable key and Stripe.js (the stand-in's, through the Worker, in development)", async () => {
    const index = (await api("GET", "/api/")).body;
    expect(index.payments).toEqual({ provider: "stripe", publishable_key: "pk_test_local_stripe_stand_in", stripe_js: "/api/dev/stripe/stripe.js" });
    const script = await api("GET", "/api/dev/stripe/stripe.js");
    expect(script.status).toBe(200);
    expect(String(script.body)).toContain("window.Stripe");
  });
});
