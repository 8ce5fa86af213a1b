// Socket caps with small limits ("limits" project, vitest.config.ts): per participant whatever its addresses, and idle sockets closed.
import { describe, expect, it } from "vitest";
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { CLOSE_IDLE, CLOSE_POLICY } from "../../src/protocol";
import { Client, connect, join, newRoom, connectFrom } from "../support/api";
import { holdRoomClock } from "../support/room-clock";

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

  it("closes a socket that sent nothing and no keep-alive for SOCKET_IDLE_SECONDS, not one that did", async () => {
    const { room } = await newRoom();
    const quiet = await connect(room.code, (await join(room.code)).session_token);
    const chatty = await connect(room.code, (await join(room.code)).session_token);
    const stub = env.CHAT_ROOM.getByName(room.code);
    await holdRoomClock(room.code, Date.now() + 31_000);
    chatty.send('{"type": "ping"}');
    await chatty.until("a pong", () => chatty.frames.some((f) => f.type === "pong"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const closed = await quiet.waitForClose();
    expect(closed.code).toBe(CLOSE_IDLE);
    expect(chatty.closed).toBeNull();
    chatty.close();
  });
});
