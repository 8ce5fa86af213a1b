// Socket caps with small limits ("limits" project, vitest.config.ts): per participant whatever its addresses; a silent socket gives up its seat only when a new one needs it.
import { describe, expect, it } from "vitest";
import { CLOSE_IDLE, CLOSE_POLICY } from "../../src/protocol";
import { Client, connect, join, newRoom, connectFrom, settled } from "../support/api";
import { alarmOf, holdRoomClock } from "../support/room-clock";

describe("a room's seats are fair", () => {
  it("caps the sockets of one participant, whatever addresses they come from", async () => {
    const { room } = await newRoom();
    const me = await join(room.code);
    const mine: Client[] = [];
    for (let i = 1; i <= 3; i++) mine.push(await connectFrom(room.code, me.session_token, `10.8.0.${i}`));
    const fourth = await connectFrom(room.code, me.session_token, "10.8.0.4");
    const closed = await fourth.waitForClose();
    expect([closed.code, closed.reason]).toEqual([CLOSE_POLICY, "too many connections for one participant"]);
    mine[0]!.send({ message: "still here", client_id: "ok" });
    await mine[0]!.until("the send", () => mine[0]!.messages().some((m) => m.client_id === "ok"));
    mine.forEach((s) => s.close());
  });

  it("keeps a silent reader while seats are free, with no alarm set", async () => {
    const { room } = await newRoom();
    const clock = await holdRoomClock(room.code);
    const reader = await connect(room.code, (await join(room.code)).session_token);
    clock.advance(60 * 60_000);
    const another = await connect(room.code, (await join(room.code)).session_token);
    another.send({ message: "an hour later", client_id: "late" });
    await reader.until("the message", () => reader.messages().some((m) => m.content === "an hour later"));
    expect(reader.closed).toBeNull();
    await settled(room.code);
    await expect.poll(() => alarmOf(room.code)).toBeNull();
    [reader, another].forEach((c) => c.close());
  });

  it("at a cap, the longest-silent socket (silent for SOCKET_IDLE_SECONDS) gives up its seat with 4408; a lively one never does", async () => {
    const { room } = await newRoom();
    const me = await join(room.code);
    const clock = await holdRoomClock(room.code);
    const mine: Client[] = [];
    for (let i = 1; i <= 3; i++) {
      mine.push(await connectFrom(room.code, me.session_token, `10.7.0.${i}`));
      clock.advance(1_000);
    }
    const [oldest, middle, lively] = mine as [Client, Client, Client];
    clock.advance(31_000);
    lively.send('{"type": "ping"}');
    await lively.until("a pong", () => lively.frames.some((f) => f.type === "pong"));
    // The participant's cap is 3: each new socket takes the seat of the longest-silent one.
    const fourth = await connectFrom(room.code, me.session_token, "10.7.0.4");
    expect((await oldest.waitForClose()).code).toBe(CLOSE_IDLE);
    const fifth = await connectFrom(room.code, me.session_token, "10.7.0.5");
    expect((await middle.waitForClose()).code).toBe(CLOSE_IDLE);
    // Nobody silent is left: the next one is refused, and the lively socket and the new ones stay.
    const sixth = await connectFrom(room.code, me.session_token, "10.7.0.6");
    expect(await sixth.waitForClose()).toEqual({ code: CLOSE_POLICY, reason: "too many connections for one participant" });
    expect([lively.closed, fourth.closed, fifth.closed]).toEqual([null, null, null]);
    [lively, fourth, fifth].forEach((c) => c.close());
  });
});
