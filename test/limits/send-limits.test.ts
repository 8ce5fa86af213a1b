// Per-participant send limits and socket caps, in their own workerd project
// with small limits (vitest.config.ts: "limits"); the main suite runs with them
// out of the way.
import { describe, expect, it } from "vitest";
import { CLOSE_POLICY } from "../../src/protocol";
import { api, connect, join, newRoom, settled, type Client } from "../support/api";
import { holdRoomClock } from "../support/room-clock";

async function roomWithGuest() {
  const { room } = await newRoom();
  const guest = await join(room.code);
  return { code: room.code, sessionToken: guest.session_token };
}

const errors = (c: Client) => c.frames.filter((f) => f.type === "error");

describe("per-connection send limits", () => {
  it("lets a burst through, refuses what follows with RATE_LIMITED, then allows the steady rate", async () => {
    const { code, sessionToken } = await roomWithGuest();
    // The room's time stands still unless the test moves it: nothing refills while the burst is answered.
    const clock = await holdRoomClock(code);
    const s = await connect(code, sessionToken);
    for (let i = 0; i < 8; i++) s.send({ message: `burst ${i}`, client_id: `b${i}` });
    await s.until("8 answers", () => s.messages().length + errors(s).length >= 8);
    expect(s.messages()).toHaveLength(5);
    expect(errors(s).map((e) => [e.code, e.client_id])).toEqual([
      ["RATE_LIMITED", "b5"],
      ["RATE_LIMITED", "b6"],
      ["RATE_LIMITED", "b7"],
    ]);
    // Two sends a second refill the bucket: half a second buys one send, and only one.
    clock.advance(500);
    s.send({ message: "steady", client_id: "s1" });
    s.send({ message: "one too many", client_id: "s2" });
    await s.until("both answers", () => s.messages().some((m) => m.client_id === "s1") && errors(s).some((e) => e.client_id === "s2"));
    expect(errors(s).at(-1)).toMatchObject({ code: "RATE_LIMITED", client_id: "s2" });
    await settled(code);
    expect((await api("GET", `/api/chats/${code}/messages/`)).body.messages).toHaveLength(6);
    s.close();
  });

  it("closes a connection that keeps flooding with 1008", async () => {
    const { code, sessionToken } = await roomWithGuest();
    await holdRoomClock(code);
    const s = await connect(code, sessionToken);
    for (let i = 0; i < 40; i++) s.send({ message: `flood ${i}` });
    const closed = await s.waitForClose();
    expect(closed.code).toBe(CLOSE_POLICY);
    expect(closed.reason).toContain("too many messages");
  });
});

describe("socket caps", () => {
  it("closes sockets beyond the per-address cap of a room with 1008", async () => {
    const { code, sessionToken } = await roomWithGuest();
    const sockets: Client[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await connect(code, sessionToken));
    const fourth = await connect(code, sessionToken);
    const closed = await fourth.waitForClose();
    expect(closed.code).toBe(CLOSE_POLICY);
    expect(closed.reason).toContain("too many connections");
    // The first three still work.
    sockets[0]!.send({ message: "still here", client_id: "ok" });
    await sockets[0]!.until("the send", () => sockets[0]!.messages().some((m) => m.client_id === "ok"));
    sockets.forEach((s) => s.close());
  });
});
