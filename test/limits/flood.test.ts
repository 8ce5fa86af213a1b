// A flooding participant costs the room next to nothing ("limits" project:
// FRAME_BURST 30, FRAME_PER_SECOND 10): its socket is closed ten frames past its
// budget, every frame after that is dropped unread, honest senders beside it
// lose nothing, and it may not connect again for a minute. What the flood costs
// in time is measured by the benchmark (npm run bench -- --only flood).
import { describe, expect, it } from "vitest";
import { CLOSE_POLICY } from "../../src/protocol";
import { api, Client, connect, connectRaw, join, newRoom, settled } from "../support/api";
import { holdRoomClock } from "../support/room-clock";

const FRAME_BURST = 30;

async function connectWith(code: string, token: string): Promise<Client> {
  const res = await connectRaw(code, `?session_token=${encodeURIComponent(token)}`);
  res.webSocket!.accept();
  return new Client(res.webSocket!);
}

describe("a flooding participant", () => {
  it("is closed within its budget plus ten frames, honest sends go through meanwhile, and it waits a minute to reconnect", async () => {
    const { room } = await newRoom();
    const clock = await holdRoomClock(room.code);
    const flooder = await join(room.code, "flooder_2");
    const honest = await join(room.code, "honest_two");
    const h = await connect(room.code, honest.session_token);
    const f = await connectWith(room.code, flooder.session_token);
    await f.until("presence", () => f.frames.some((x) => x.type === "presence"));
    const before = f.frames.length;
    for (let i = 0; i < 1000; i++) f.send(i % 2 ? "not json" : '{"type": "ping"}');
    for (let i = 0; i < 5; i++) h.send({ message: `honest ${i}`, client_id: `h${i}` });
    await h.until("every honest send", () => h.messages().filter((m) => m.client_id).length === 5);
    expect(h.frames.filter((x) => x.type === "error")).toEqual([]);
    expect(await f.waitForClose()).toEqual({ code: CLOSE_POLICY, reason: "too many frames" });
    // The room's clock stands still: exactly the budget was answered, nothing after it.
    const answers = f.frames.slice(before).filter((x) => x.type === "pong" || x.type === "error");
    expect(answers).toHaveLength(FRAME_BURST);
    await settled(room.code);
    const stored = (await api("GET", `/api/chats/${room.code}/messages/`)).body.messages.map((m: { content: string }) => m.content);
    expect(stored).toEqual(["honest 0", "honest 1", "honest 2", "honest 3", "honest 4"]);

    // A fresh socket is no way around the close: for a minute of the room's time, none.
    const again = await connectWith(room.code, flooder.session_token);
    expect(await again.waitForClose()).toEqual({ code: CLOSE_POLICY, reason: "closed for flooding; wait a minute" });
    expect(again.frames).toEqual([]);
    clock.advance(61_000);
    const later = await connectWith(room.code, flooder.session_token);
    await later.until("presence", () => later.frames.some((x) => x.type === "presence"));
    expect(later.closed).toBeNull();
    later.close();
    h.close();
  });
});
