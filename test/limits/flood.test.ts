// A flooding participant costs the room next to nothing ("limits" project:
// FRAME_BURST 30, FRAME_PER_SECOND 10): its socket is closed ten frames past its
// budget, every frame after that is dropped unread, honest senders beside it
// lose nothing, and it may not connect again for a minute. What the flood costs
// in time is measured by the benchmark (npm run bench -- --only flood).
import { describe, expect, it } from "vitest";
import { CLOSE_POLICY } from "../../src/protocol";
import { api, Client, connect, connectRaw, join, newRoom, settled, connectFrom } from "../support/api";
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

describe("every frame costs its sender", () => {
  it("a participant flooding frames of any kind on several sockets is closed; honest senders beside it lose nothing", async () => {
    const { room } = await newRoom();
    const flooder = await join(room.code, "flooder_1");
    const honest = await join(room.code, "honest_one");
    const f1 = await connectFrom(room.code, flooder.session_token, "10.7.0.1");
    const f2 = await connectFrom(room.code, flooder.session_token, "10.7.0.2");
    const h = await connect(room.code, honest.session_token);
    for (let i = 0; i < 300; i++) {
      f1.send('{"type": "ping"}'); // not the exact keep-alive text: it reaches the room
      f2.send("not json at all");
    }
    for (let i = 0; i < 5; i++) h.send({ message: `honest ${i}`, client_id: `h${i}` });
    await h.until("every honest send", () => h.messages().filter((m) => m.client_id).length === 5);
    expect((await f1.waitForClose()).code).toBe(CLOSE_POLICY);
    expect((await f2.waitForClose()).code).toBe(CLOSE_POLICY);
    expect(f1.closed!.reason).toContain("too many frames");
    // Far fewer answers than frames: over the budget a frame is not answered at all.
    expect(f1.frames.filter((f) => f.type === "pong").length).toBeLessThan(100);
    await settled(room.code);
    const stored = (await api("GET", `/api/chats/${room.code}/messages/`)).body.messages.map((m: any) => m.content);
    expect(stored).toEqual(["honest 0", "honest 1", "honest 2", "honest 3", "honest 4"]);
    h.close();
  });
});
