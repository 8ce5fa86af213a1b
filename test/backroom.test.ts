// The back room: one pending seat per participant, its events for members only, a seat paid when none is left.
import { describe, expect, it } from "vitest";
import { api, connect, join, BASE, worker } from "./support/api";
import { hostedRoom, react, remove, openBackroom, buySeat } from "./support/room-actions";
import { completeByWebhook } from "./support/payments";

describe("back-room fairness and privacy", () => {
  it("one pending seat purchase per participant", async () => {
    const { room, hostSession } = await hostedRoom();
    await openBackroom(room.code, hostSession.session_token);
    const buyer = await join(room.code, "buyer_one");
    const first = await buySeat(room.code, buyer.session_token, { "X-Test-Payment-Outcome": "pending" });
    expect(first.status).toBe(402);
    const second = await buySeat(room.code, buyer.session_token, { "X-Test-Payment-Outcome": "pending" });
    expect([second.status, second.body.code]).toEqual([409, "PURCHASE_PENDING"]);
    const seats = await api("GET", `/api/chats/${room.code}/backroom/`);
    expect(seats.body.backroom.seats_taken).toBe(1);
  });

  it("reaction and delete events of a back-room message reach only members and the host; its reactions are 404 to others", async () => {
    const { room, hostSession } = await hostedRoom();
    await openBackroom(room.code, hostSession.session_token);
    const member = await join(room.code, "member_one");
    const outsider = await join(room.code, "outside_one");
    expect((await buySeat(room.code, member.session_token)).status).toBe(200);
    const [m, o] = await Promise.all([connect(room.code, member.session_token), connect(room.code, outsider.session_token)]);
    m.send({ message: "members only", channel: "backroom" });
    const msg = await m.nextFrame("message");
    expect((await react(room.code, msg.id, member.session_token, "🔥")).status).toBe(200);
    expect((await remove(room.code, msg.id, hostSession.session_token)).status).toBe(200);
    await m.until("the deletion", () => m.frames.some((f) => f.type === "message_deleted"));
    // A main-room event after them: once the outsider has it, it would have had the others.
    m.send({ message: "main marker" });
    await o.until("the marker", () => o.messages().some((f) => f.content === "main marker"));
    expect(o.frames.filter((f) => ["reaction", "message_deleted"].includes(f.type))).toEqual([]);
    expect(m.frames.some((f) => f.type === "reaction" && f.message_id === msg.id)).toBe(true);
    const other = await worker.fetch(`${BASE}/api/chats/${room.code}/messages/${msg.id}/reactions/`, {
      headers: { "X-Session-Token": outsider.session_token, "CF-Connecting-IP": "10.1.1.1" },
    });
    expect(other.status).toBe(404);
    for (const c of [m, o]) c.close();
  });

  it("a payment that completes when no seat is left stays paid, gives no seat, and says why", async () => {
    const { room, hostSession } = await hostedRoom();
    await openBackroom(room.code, hostSession.session_token, 1);
    const late = await join(room.code, "late_payer");
    const pending = await buySeat(room.code, late.session_token, { "X-Test-Payment-Outcome": "pending" });
    expect(pending.status).toBe(402);
    // The host closes the back room while the payment is pending.
    await api("POST", `/api/chats/${room.code}/backroom/`, { body: { enabled: false }, headers: { "X-Session-Token": hostSession.session_token } });
    const applied = await completeByWebhook(pending.body.transaction.provider_payment_id);
    expect(applied).toBe(false);
    const again = await buySeat(room.code, late.session_token);
    expect(again.body.code).toBe("BACKROOM_DISABLED");
    const status = await api("GET", `/api/chats/${room.code}/backroom/`, { headers: { "X-Session-Token": late.session_token } });
    expect(status.body.backroom.is_member).toBe(false);
  });
});
