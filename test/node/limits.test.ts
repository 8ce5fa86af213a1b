// Per-connection send limits and socket caps, against the Worker in wrangler
// dev with small limits (the worker-pool tests run with them out of the way).
import { CLOSE_POLICY } from "../../src/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomWithGuest, startTestWorker, type TestWorker } from "./worker.ts";

let worker: TestWorker;

beforeAll(async () => {
  worker = await startTestWorker({ SEND_BURST: "5", SEND_PER_SECOND: "2", MAX_SOCKETS_PER_IP: "3", MAX_SOCKETS_PER_ROOM: "100" });
});

afterAll(async () => {
  await worker?.stop();
});

interface Socket {
  frames: any[];
  closed: Promise<{ code: number; reason: string }>;
  ws: WebSocket;
  until(pred: () => boolean, ms?: number): Promise<void>;
}

async function open(code: string, token: string): Promise<Socket> {
  const ws = new WebSocket(`${worker.url.replace("http", "ws")}/ws/chat/${code}/?session_token=${encodeURIComponent(token)}`);
  const frames: any[] = [];
  ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error("socket error")));
  });
  const until = async (pred: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out; frames: ${JSON.stringify(frames.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { frames, closed, ws, until };
}

const messages = (s: Socket) => s.frames.filter((f) => f.type === "message");
const errors = (s: Socket) => s.frames.filter((f) => f.type === "error");

describe("per-connection send limits", () => {
  it("lets a burst through, refuses what follows with RATE_LIMITED, then allows the steady rate", async () => {
    const { code, sessionToken } = await roomWithGuest(worker);
    const s = await open(code, sessionToken);
    for (let i = 0; i < 8; i++) s.ws.send(JSON.stringify({ message: `burst ${i}`, client_id: `b${i}` }));
    await s.until(() => messages(s).length + errors(s).length >= 8);
    expect(messages(s)).toHaveLength(5);
    expect(errors(s).map((e) => [e.code, e.client_id])).toEqual([
      ["RATE_LIMITED", "b5"],
      ["RATE_LIMITED", "b6"],
      ["RATE_LIMITED", "b7"],
    ]);
    // Two sends a second refill the bucket.
    await new Promise((r) => setTimeout(r, 1_100));
    s.ws.send(JSON.stringify({ message: "steady", client_id: "s1" }));
    await s.until(() => messages(s).some((m) => m.client_id === "s1"));
    const history = await worker.call("GET", `/api/chats/${code}/messages/`);
    expect(history.body.messages).toHaveLength(6);
    s.ws.close();
  });

  it("closes a connection that keeps flooding with 1008", async () => {
    const { code, sessionToken } = await roomWithGuest(worker);
    const s = await open(code, sessionToken);
    for (let i = 0; i < 40; i++) s.ws.send(JSON.stringify({ message: `flood ${i}` }));
    const closed = await s.closed;
    expect(closed.code).toBe(CLOSE_POLICY);
    expect(closed.reason).toContain("too many messages");
  });
});

describe("socket caps", () => {
  it("closes sockets beyond the per-IP cap of a room with 1008", async () => {
    const { code, sessionToken } = await roomWithGuest(worker);
    const sockets: Socket[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await open(code, sessionToken));
    const fourth = await open(code, sessionToken);
    const closed = await fourth.closed;
    expect(closed.code).toBe(CLOSE_POLICY);
    expect(closed.reason).toContain("too many connections");
    // The first three still work.
    sockets[0]!.ws.send(JSON.stringify({ message: "still here", client_id: "ok" }));
    await sockets[0]!.until(() => messages(sockets[0]!).some((m) => m.client_id === "ok"));
    sockets.forEach((s) => s.ws.close());
  });
});
