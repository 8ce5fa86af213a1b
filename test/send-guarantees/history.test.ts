import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom, redis, settled, unique, type Client } from "../support/api";

/** Sends n messages from one socket and waits until they are all broadcast back. */
async function sendMany(client: Client, n: number, label = "m") {
  const before = client.messages().length;
  for (let i = 0; i < n; i++) client.send({ message: `${label}${i}` });
  await client.waitForMessages(before + n, 60_000);
}

async function walkHistory(code: string, limit: number, onPage?: (page: number) => Promise<void>) {
  const seen: any[] = [];
  let before: string | null = null;
  await settled(code);
  for (let page = 0; page < 1000; page++) {
    const query: string = `?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ""}`;
    const res: { status: number; body: any } = await api("GET", `/api/chats/${code}/messages/${query}`);
    expect(res.status).toBe(200);
    const seqs = res.body.messages.map((m: any) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // oldest → newest within a page
    expect(res.body.count).toBe(res.body.messages.length);
    seen.unshift(...res.body.messages);
    await onPage?.(page);
    if (!res.body.has_more) {
      expect(res.body.next_before).toBeNull();
      return seen;
    }
    expect(typeof res.body.next_before).toBe("string");
    before = res.body.next_before;
  }
  throw new Error("the cursor walk did not end");
}

describe("REST history", () => {
  it("walks 1,000 messages by cursor exactly once each, while new sends keep arriving", async () => {
    const { room } = await newRoom();
    const me = await join(room.code);
    const socket = await connect(room.code, me.session_token);
    await sendMany(socket, 1000);

    // Sends during the walk land above the first page and must not shift older pages.
    const seen = await walkHistory(room.code, 100, async (page) => {
      if (page < 3) await sendMany(socket, 5, `during${page}-`);
    });
    const seqs = seen.map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(new Set(seen.map((m) => m.id)).size).toBe(1000);
    expect(seen[0].content).toBe("m0");
    expect(seen[999].content).toBe("m999");

    // And a fresh walk sees everything, the 15 later sends included.
    const all = await walkHistory(room.code, 37);
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: 1015 }, (_, i) => i + 1));
    socket.close();
  });

  it("answers the newest page first with the default limit of 50 and an empty pinned list", async () => {
    const { room } = await newRoom();
    const socket = await connect(room.code, (await join(room.code)).session_token);
    await sendMany(socket, 60);
    await settled(room.code);
    const res = await api("GET", `/api/chats/${room.code}/messages`);
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(50);
    expect(res.body.messages[0].seq).toBe(11);
    expect(res.body.messages[49].seq).toBe(60);
    expect(res.body.has_more).toBe(true);
    expect(res.body.pinned_messages).toEqual([]);
    const older = await api("GET", `/api/chats/${room.code}/messages/?before=${res.body.next_before}`);
    expect(older.body.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(older.body).toMatchObject({ has_more: false, next_before: null, count: 10 });
    socket.close();
  });

  it("answers an empty room with no messages and no cursor", async () => {
    const { room } = await newRoom();
    await settled(room.code);
    const res = await api("GET", `/api/chats/${room.code}/messages/`);
    expect(res.body).toEqual({ messages: [], pinned_messages: [], has_more: false, next_before: null, count: 0 });
  });

  it("refuses a limit outside 1..100 and cursors it did not issue", async () => {
    const { room } = await newRoom();
    for (const limit of ["0", "101", "-1", "abc", "1.5", "1e2", "", "99999999999"]) {
      const res = await api("GET", `/api/chats/${room.code}/messages/?limit=${encodeURIComponent(limit)}`);
      expect(res.status, `limit=${limit}`).toBe(400);
      expect(res.body.code).toBe("VALIDATION_ERROR");
    }
    for (const before of ["junk", "12x3", btoa("s1.-5"), btoa("x1.5"), "%00", "' OR 1=1 --", "2024-13-01T00:00:00Z"]) {
      const res = await api("GET", `/api/chats/${room.code}/messages/?before=${encodeURIComponent(before)}`);
      expect(res.status, `before=${before}`).toBe(400);
      expect(res.body.code).toBe("INVALID_CURSOR");
    }
    expect((await api("GET", `/api/chats/${room.code}/messages/?limit=1`)).status).toBe(200);
    expect((await api("GET", `/api/chats/${room.code}/messages/?limit=100`)).status).toBe(200);
  });

  it("answers 404 for an unknown room", async () => {
    for (const code of ["zzzzzzzz", "nope", "a%27b", "chat:*"]) {
      const res = await api("GET", `/api/chats/${encodeURIComponent(code)}/messages/`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe("ROOM_NOT_FOUND");
    }
  });
});

describe("REST send", () => {
  it("answers 201 with the message and broadcasts it like a WebSocket send", async () => {
    const { room } = await newRoom();
    const listener = await connect(room.code, (await join(room.code)).session_token);
    const sender = await join(room.code, unique("rest_"));
    const res = await api("POST", `/api/chats/${room.code}/messages/send/`, {
      body: { message: "over REST", session_token: sender.session_token, client_id: "rest-1" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ seq: 1, content: "over REST", username: sender.username, client_id: "rest-1", chat_code: room.code });
    const [heard] = await listener.waitForMessages(1);
    expect(heard!.id).toBe(res.body.id);
    expect(heard).not.toHaveProperty("client_id");
    // The header form of the session token works too.
    const viaHeader = await api("POST", `/api/chats/${room.code}/messages/send`, {
      body: { message: "header token" },
      headers: { "X-Session-Token": sender.session_token },
    });
    expect(viaHeader.status).toBe(201);
    expect(viaHeader.body.seq).toBe(2);
    listener.close();
  });

  it("refuses bad sends with a JSON error and stores nothing", async () => {
    const { room } = await newRoom();
    const other = await newRoom();
    const me = await join(room.code);
    const foreignToken = (await join(other.room.code)).session_token;
    const token = me.session_token;
    const cases: [unknown, number, string][] = [
      [{ message: "no token" }, 401, "SESSION_REQUIRED"],
      [{ message: "wrong room", session_token: foreignToken }, 403, "SESSION_INVALID"],
      [{ message: "junk token", session_token: "abc" }, 403, "SESSION_INVALID"],
      [{ session_token: token }, 400, "VALIDATION_ERROR"],
      [{ message: "", session_token: token }, 400, "MESSAGE_EMPTY"],
      [{ message: "x".repeat(4001), session_token: token }, 413, "MESSAGE_TOO_LONG"],
      [{ message: 5, session_token: token }, 400, "VALIDATION_ERROR"],
      [{ message: "hi", reply_to_id: "nope", session_token: token }, 400, "VALIDATION_ERROR"],
      [{ message: "hi", reply_to_id: crypto.randomUUID(), session_token: token }, 404, "REPLY_NOT_FOUND"],
    ];
    for (const [body, status, code] of cases) {
      const res = await api("POST", `/api/chats/${room.code}/messages/send/`, { body });
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(status);
      expect(res.body.code).toBe(code);
      expect(typeof res.body.error).toBe("string");
    }
    for (const raw of ["{bad json", "[]", "null", '"text"']) {
      const res = await api("POST", `/api/chats/${room.code}/messages/send/`, { rawBody: raw, headers: { "Content-Type": "application/json" } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("INVALID_JSON");
    }
    expect((await api("GET", `/api/chats/${room.code}/messages/`)).body.count).toBe(0);
  });
});

describe("the Redis window", () => {
  it("holds exactly the newest 500 of 600 messages, scored by seq, with a TTL of at most 24 h", async () => {
    const { room } = await newRoom();
    const socket = await connect(room.code, (await join(room.code)).session_token);
    await sendMany(socket, 600);
    await settled(room.code);
    const key = `chat:${room.code}:messages`;
    const r = redis();
    expect(await r.zcard(key)).toBe(500);
    const entries = (await r.zrange(key, 0, -1, { withScores: true })) as (string | number)[];
    const members = entries.filter((_, i) => i % 2 === 0).map((m) => JSON.parse(String(m)));
    const scores = entries.filter((_, i) => i % 2 === 1).map(Number);
    expect(scores).toEqual(Array.from({ length: 500 }, (_, i) => i + 101));
    expect(members.map((m) => m.seq)).toEqual(scores);
    expect(members[0].content).toBe("m100");
    expect(members[499]).toMatchObject({ content: "m599", chat_code: room.code, seq: 600 });
    expect(members[0]).not.toHaveProperty("client_id");
    const ttl = await r.ttl(key);
    expect(ttl).toBeGreaterThan(24 * 3600 - 120);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
    // Postgres, the source of truth, still has all 600.
    await settled(room.code);
    const newest = await api("GET", `/api/chats/${room.code}/messages/?limit=1`);
    expect(newest.body.messages[0].seq).toBe(600);
    socket.close();
  });
});
