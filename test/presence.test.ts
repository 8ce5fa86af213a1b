// Presence: the number of distinct participants online, at most once a second.
import { describe, expect, it } from "vitest";
import { connect, join, type Client } from "./support/api";
import { roomWithMessage } from "./support/room-actions";

describe("presence", () => {
  it("broadcasts the number of distinct participants connected when it changes", async () => {
    const { room, alice, bob } = await roomWithMessage();
    const latest = (c: Client) => c.frames.filter((f) => f.type === "presence").at(-1)?.count;

    const a1 = await connect(room.code, alice.session_token);
    await a1.until("presence 1", () => latest(a1) === 1);
    // A second tab of the same participant is still one participant.
    const a2 = await connect(room.code, alice.session_token);
    await a2.until("presence for the new socket", () => latest(a2) === 1);
    const b = await connect(room.code, bob.session_token);
    await a1.until("presence 2", () => latest(a1) === 2);
    await b.until("presence 2 for bob", () => latest(b) === 2);

    b.close();
    await a1.until("presence back to 1", () => latest(a1) === 1, 5_000);
    a1.close();
    a2.close();
  });

  it("sends at most one presence frame a second, however many join at once", async () => {
    const { room, alice } = await roomWithMessage();
    const observer = await connect(room.code, alice.session_token);
    await observer.until("first presence", () => observer.frames.some((f) => f.type === "presence"));
    const others = await Promise.all(Array.from({ length: 6 }, async () => connect(room.code, (await join(room.code)).session_token)));
    await observer.until("presence 7", () => observer.frames.filter((f) => f.type === "presence").at(-1)?.count === 7, 5_000);
    const presence = observer.frames.filter((f) => f.type === "presence");
    // Counts arrive in bursts no closer than a second: 6 connects cannot make 6 frames quickly.
    expect(presence.length).toBeLessThanOrEqual(4);
    others.forEach((c) => c.close());
    observer.close();
  });
});
