// The typed client's room connection against the Worker in wrangler dev: it
// sends the session token as a subprotocol (never in the URL), reports a
// resume's gap so the page can fetch what was left out, and treats a `kicked`
// frame as final (no reconnect), whether or not the 4403 close arrives.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
// The built package, as another project imports it (npm install / pretest builds packages/client/dist).
import { RoomConnection, type RoomEvents } from "@chatpop-edge/client";
import { roomWithGuest, startTestWorker, type TestWorker } from "./worker.ts";

let worker: TestWorker;

beforeAll(async () => {
  // A window of 5 makes a resume's bound easy to cross.
  worker = await startTestWorker({ MESSAGE_CACHE_MAX_COUNT: "5", SEND_BURST: "1000", SEND_PER_SECOND: "1000", ALLOWED_ORIGINS: "self" });
});

afterAll(async () => {
  await worker?.stop();
});

const waitFor = async (what: string, ok: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function record(conn: RoomConnection) {
  const seen: { type: keyof RoomEvents; event: any }[] = [];
  for (const type of ["message", "gap", "kicked", "status", "error"] as const) conn.on(type, (event) => seen.push({ type, event }));
  return seen;
}

describe("RoomConnection", () => {
  it("resumes with a gap event when more was missed than a connect sends, then the newest messages", async () => {
    const { code, sessionToken } = await roomWithGuest(worker);
    for (let i = 1; i <= 12; i++) {
      const res = await worker.call("POST", `/api/chats/${code}/messages/send/`, { message: `m${i}` }, { "x-session-token": sessionToken });
      expect(res.status).toBe(201);
    }
    // The page shows message 1; 11 came after it, more than the 5 a connect sends.
    const conn = new RoomConnection({ baseUrl: worker.url, code, sessionToken, lastSeq: 1 });
    const seen = record(conn);
    conn.connect();
    await waitFor("5 messages", () => seen.filter((s) => s.type === "message").length >= 5);
    const gap = seen.find((s) => s.type === "gap")!.event;
    expect(gap).toMatchObject({ channel: "main", from_seq: 2, to_seq: 7 });
    expect(seen.filter((s) => s.type === "message").map((s) => s.event.seq)).toEqual([8, 9, 10, 11, 12]);
    // The gap's cursor pages exactly what was left out.
    const page = await worker.call("GET", `/api/chats/${code}/messages/?before=${gap.before}`);
    expect(page.body.messages.map((m: any) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(conn.lastSeq).toBe(12);
    conn.close();
  });

  it("stops for good on a kicked frame and does not reconnect", async () => {
    const { code, sessionToken, hostToken } = await roomWithGuest(worker);
    const { body: room } = await worker.call("GET", `/api/chats/${code}/`);
    const { body: host } = await worker.call("POST", `/api/chats/${code}/join/`, { username: room.host.reserved_username }, { authorization: `Bearer ${hostToken}` });
    const conn = new RoomConnection({ baseUrl: worker.url, code, sessionToken, reconnect: { delayMs: 100, maxDelayMs: 200 } });
    const seen = record(conn);
    conn.connect();
    await waitFor("open", () => conn.status === "open");
    const ban = await worker.call("POST", `/api/chats/${code}/bans/`, { username: (await guestName(code, sessionToken)) }, { "x-session-token": host.session_token });
    expect(ban.status).toBe(201);
    await waitFor("kicked", () => conn.status === "kicked");
    expect(seen.some((s) => s.type === "kicked")).toBe(true);
    // Long past the reconnect delay: still kicked, no new connection attempt.
    await new Promise((r) => setTimeout(r, 1_000));
    const statuses = seen.filter((s) => s.type === "status").map((s) => s.event.status);
    expect(statuses.at(-1)).toBe("kicked");
    expect(statuses.filter((s) => s === "connecting" || s === "reconnecting")).toEqual(["connecting"]);
  });

  it("takes a WebSocket class where there is none (Node 20: the ws package's), and says so when it has none", async () => {
    const { code, sessionToken } = await roomWithGuest(worker);
    const conn = new RoomConnection({ baseUrl: worker.url, code, sessionToken, WebSocketImpl: WebSocket });
    const seen = record(conn);
    conn.connect();
    await waitFor("open", () => conn.status === "open");
    const clientId = conn.send("through ws");
    await waitFor("the acknowledgement", () => seen.some((s) => s.type === "message" && s.event.client_id === clientId));
    expect(conn.unacknowledged).toBe(0);
    conn.close();

    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket;
    try {
      const bare = new RoomConnection({ baseUrl: worker.url, code, sessionToken });
      expect(() => bare.connect()).toThrow(/No WebSocket here \(Node < 22\): pass one in/);
      expect(bare.status).toBe("closed");
    } finally {
      global.WebSocket = saved;
    }
  });
});

async function guestName(code: string, sessionToken: string): Promise<string> {
  // The token's claims carry the name; the JWT payload is base64url JSON.
  const payload = JSON.parse(Buffer.from(sessionToken.split(".")[1]!, "base64url").toString("utf8"));
  expect(payload.room).toBe(code);
  return payload.name;
}
