import { describe, expect, it } from "vitest";
import { CLOSE_BAD_TOKEN, CLOSE_NO_TOKEN, CLOSE_TOO_LARGE } from "../../src/protocol";
import { sign } from "hono/jwt";
import { signSessionToken } from "../../src/domain/tokens";
import { TEST_JWT_SECRET } from "../support/test-secret";
import { api, connect, connectRaw, join, standInCounts, newRoom, rejectedCloseCode, settled, unique, type Client } from "../support/api";

async function roomWithTwoClients() {
  const { host, room } = await newRoom();
  const alice = await join(room.code, unique("alice_"));
  const bob = await join(room.code, unique("bob_"));
  return { host, room, alice, bob, a: await connect(room.code, alice.session_token), b: await connect(room.code, bob.session_token) };
}

const closeAll = (...clients: Client[]) => clients.forEach((c) => c.close());

describe("sending over the WebSocket", () => {
  it("delivers each send to every socket of the room, in order, as the flat message object", async () => {
    const { room, alice, a, b } = await roomWithTwoClients();
    for (let i = 1; i <= 5; i++) a.send({ message: `hello ${i}` });
    const [atA, atB] = [await a.waitForMessages(5), await b.waitForMessages(5)];
    for (const got of [atA, atB]) {
      expect(got.map((m) => m.content)).toEqual(["hello 1", "hello 2", "hello 3", "hello 4", "hello 5"]);
      expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    }
    const first = atB[0]!;
    expect(first).toMatchObject({
      type: "message",
      chat_code: room.code,
      username: alice.username,
      user_id: null,
      message_type: "normal",
      reply_to: null,
      reply_to_message: null,
      user: null,
      is_pinned: false,
      pinned_at: null,
      pinned_until: null,
      pin_amount_cents: 0,
      pin_amount_paid: "0.00",
      time_until_unpin: null,
      is_from_host: false,
      username_is_reserved: false,
      is_deleted: false,
      reactions: [],
    });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(first.created_at).toISOString()).toBe(first.created_at);
    expect(first).not.toHaveProperty("client_id");
    closeAll(a, b);
  });

  it("gives only the sender's own copy its client_id, as the acknowledgement", async () => {
    const { a, b } = await roomWithTwoClients();
    a.send({ message: "with an id", client_id: "c-123" });
    const [mine] = await a.waitForMessages(1);
    const [theirs] = await b.waitForMessages(1);
    expect(mine!.client_id).toBe("c-123");
    expect(theirs).not.toHaveProperty("client_id");
    expect(theirs!.id).toBe(mine!.id);
    closeAll(a, b);
  });

  it("sends nothing to a socket of another room", async () => {
    const { a, b } = await roomWithTwoClients();
    const other = await newRoom();
    const outsider = await connect(other.room.code, (await join(other.room.code)).session_token);
    a.send({ message: "only for this room" });
    await b.waitForMessages(1);
    outsider.send({ type: "ping" });
    await outsider.nextFrame("pong"); // a round trip after the broadcast: anything sent would be here by now
    expect(outsider.messages()).toEqual([]);
    closeAll(a, b, outsider);
  });

  it("keeps seq gapless and every socket in the same order under concurrent senders", async () => {
    const { room, a, b } = await roomWithTwoClients();
    const c = await connect(room.code, (await join(room.code)).session_token);
    for (let i = 0; i < 40; i++) {
      a.send({ message: `a${i}` });
      b.send({ message: `b${i}` });
      c.send({ message: `c${i}` });
    }
    const seen = await Promise.all([a, b, c].map((s) => s.waitForMessages(120)));
    const order = seen[0]!.map((m) => m.id);
    for (const got of seen) {
      expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      expect(got.map((m) => m.id)).toEqual(order);
    }
    // Each sender's own messages keep their relative order.
    for (const prefix of ["a", "b", "c"]) {
      const mine = seen[0]!.filter((m) => m.content.startsWith(prefix)).map((m) => m.content);
      expect(mine).toEqual(Array.from({ length: 40 }, (_, i) => `${prefix}${i}`));
    }
    closeAll(a, b, c);
  });

  it("holds no Postgres connection: sends are flushed over Neon's HTTP path, so the room can hibernate", async () => {
    const { room, a } = await roomWithTwoClients();
    const before = (await standInCounts()).connections;
    for (let i = 0; i < 10; i++) {
      a.send({ message: `one by one ${i}` });
      await a.waitForMessages(1 + i);
    }
    await settled(room.code);
    expect((await standInCounts()).connections).toBe(before);
    a.close();
  });

  it("answers a ping with a pong", async () => {
    const { a } = await roomWithTwoClients();
    a.send({ type: "ping" });
    expect(await a.nextFrame("pong")).toEqual({ type: "pong" });
    a.close();
  });

  it("stores SQL and HTML verbatim and returns them unchanged", async () => {
    const { room, a } = await roomWithTwoClients();
    const nasty = `'); DROP TABLE messages; -- <script>alert("x")</script> &amp; \u0000?`.replace("\u0000", "");
    a.send({ message: nasty });
    const [m] = await a.waitForMessages(1);
    expect(m!.content).toBe(nasty);
    const history = await api("GET", `/api/chats/${room.code}/messages/`);
    expect(history.body.messages.map((x: any) => x.content)).toEqual([nasty]);
    a.close();
  });
});

describe("replies", () => {
  it("carries reply_to (the parent's id) and reply_to_message {id, username, content, is_from_host} in the broadcast and in history", async () => {
    const { room, alice, a, b } = await roomWithTwoClients();
    a.send({ message: "original" });
    const [orig] = await b.waitForMessages(1);
    b.send({ message: "a reply", reply_to_id: orig!.id });
    const [, reply] = await a.waitForMessages(2);
    const expected = { id: orig!.id, username: alice.username, content: "original", is_from_host: false };
    expect(reply!.reply_to).toBe(orig!.id);
    expect(reply!.reply_to_message).toEqual(expected);
    await settled(room.code);
    const history = await api("GET", `/api/chats/${room.code}/messages/`);
    expect(history.body.messages[1].reply_to).toBe(orig!.id);
    expect(history.body.messages[1].reply_to_message).toEqual(expected);
    closeAll(a, b);
  });

  it("refuses a reply_to_id that is not a UUID or names a message of another room", async () => {
    const { a } = await roomWithTwoClients();
    const other = await roomWithTwoClients();
    other.a.send({ message: "elsewhere" });
    const [foreign] = await other.a.waitForMessages(1);

    a.send({ message: "x", reply_to_id: "not-a-uuid", client_id: "r1" });
    expect(await a.nextFrame("error")).toMatchObject({ code: "VALIDATION_ERROR", client_id: "r1" });
    a.send({ message: "x", reply_to_id: foreign!.id, client_id: "r2" });
    expect(await a.nextFrame("error")).toMatchObject({ code: "REPLY_NOT_FOUND", client_id: "r2" });
    a.send({ message: "x", reply_to_id: crypto.randomUUID(), client_id: "r3" });
    expect(await a.nextFrame("error")).toMatchObject({ code: "REPLY_NOT_FOUND", client_id: "r3" });

    a.send({ type: "ping" });
    await a.nextFrame("pong");
    expect(a.messages()).toEqual([]);
    closeAll(a, other.a, other.b);
  });
});

describe("bad frames get an error frame, change nothing, and keep the socket open", () => {
  const cases: [string, string, string][] = [
    ["malformed JSON", "{not json", "INVALID_JSON"],
    ["a JSON array", "[1,2,3]", "INVALID_JSON"],
    ["a JSON string", '"hello"', "INVALID_JSON"],
    ["null", "null", "INVALID_JSON"],
    ["a missing message", "{}", "VALIDATION_ERROR"],
    ["an empty message", '{"message":""}', "MESSAGE_EMPTY"],
    ["a blank message", '{"message":"   \\n\\t "}', "MESSAGE_EMPTY"],
    ["a message that is a number", '{"message":42}', "VALIDATION_ERROR"],
    ["a message that is an object", '{"message":{"text":"hi"}}', "VALIDATION_ERROR"],
    ["a client_id that is a number", '{"message":"hi","client_id":7}', "VALIDATION_ERROR"],
    ["a client_id over 64 characters", JSON.stringify({ message: "hi", client_id: "x".repeat(65) }), "VALIDATION_ERROR"],
    ["a type that is not a string", '{"type":5,"message":"hi"}', "INVALID_FRAME"],
    ["an unknown type", '{"type":"shout","message":"hi"}', "UNKNOWN_FRAME_TYPE"],
    ["a message over 4000 characters", JSON.stringify({ message: "x".repeat(4001) }), "MESSAGE_TOO_LONG"],
    ["4001 emoji (over 4000 characters)", JSON.stringify({ message: "😀".repeat(4001) }), "MESSAGE_TOO_LONG"],
  ];

  it.each(cases)("%s", async (_name, frame, code) => {
    const { room, a, b } = await roomWithTwoClients();
    a.send(frame);
    const err = await a.nextFrame("error");
    expect(err.code).toBe(code);
    expect(typeof err.error).toBe("string");
    // Still open and still working: the next valid send is seq 1, so nothing was stored.
    a.send({ message: "after the bad frame" });
    const [m] = await b.waitForMessages(1);
    expect(m!.seq).toBe(1);
    expect(b.frames.filter((f) => f.type === "error")).toEqual([]);
    await settled(room.code);
    const history = await api("GET", `/api/chats/${room.code}/messages/`);
    expect(history.body.count).toBe(1);
    closeAll(a, b);
  });

  it("accepts exactly 4000 characters and ignores unknown fields", async () => {
    const { a } = await roomWithTwoClients();
    a.send({ message: "y".repeat(4000), shout: true, session_token: "ignored", type: "message" });
    const [m] = await a.waitForMessages(1);
    expect(m!.content.length).toBe(4000);
    expect(m).not.toHaveProperty("shout");
    a.close();
  });

  it("closes with 1009 on a frame over 64 KiB, and stores nothing", async () => {
    const { room, a, b } = await roomWithTwoClients();
    a.send(JSON.stringify({ message: "z".repeat(70 * 1024) }));
    expect((await a.waitForClose()).code).toBe(CLOSE_TOO_LARGE);
    b.send({ type: "ping" });
    await b.nextFrame("pong");
    expect(b.messages()).toEqual([]);
    expect((await api("GET", `/api/chats/${room.code}/messages/`)).body.count).toBe(0);
    b.close();
  });
});

describe("connecting", () => {
  it("closes with 4001 when there is no session token", async () => {
    const { room } = await newRoom();
    expect(await rejectedCloseCode(room.code, "")).toBe(CLOSE_NO_TOKEN);
    expect(await rejectedCloseCode(room.code, "?session_token=")).toBe(CLOSE_NO_TOKEN);
  });

  it("closes with 4003 for a token of another room, an expired one, a forged one, or junk", async () => {
    const { room } = await newRoom();
    const other = await newRoom();
    const otherToken = (await join(other.room.code)).session_token;
    const mine = await join(room.code);
    const claims = {
      roomCode: room.code,
      roomId: crypto.randomUUID(),
      participationId: mine.participation_id,
      userId: null,
      username: mine.username,
      isHost: false,
      usernameIsReserved: false,
      authSessionId: null,
    };
    const expired = await signSessionToken(claims, TEST_JWT_SECRET, -60);
    const forged = await signSessionToken(claims, "some-other-secret");
    const wrongAudience = await sign({ sub: mine.participation_id, room: room.code, exp: Math.floor(Date.now() / 1000) + 60 }, TEST_JWT_SECRET);
    for (const token of [otherToken, expired, forged, wrongAudience, "junk", "a.b.c"]) {
      expect(await rejectedCloseCode(room.code, `?session_token=${encodeURIComponent(token)}`)).toBe(CLOSE_BAD_TOKEN);
    }
    // The same token for the right room works.
    const ok = await connect(room.code, mine.session_token);
    ok.send({ type: "ping" });
    expect(await ok.nextFrame("pong")).toEqual({ type: "pong" });
    ok.close();
  });

  it("closes with 4003 for an unknown room code", async () => {
    const { room } = await newRoom();
    const token = (await join(room.code)).session_token;
    expect(await rejectedCloseCode("zzzzzzzz", `?session_token=${token}`)).toBe(CLOSE_BAD_TOKEN);
    expect(await rejectedCloseCode("no such room", `?session_token=${token}`)).toBe(CLOSE_BAD_TOKEN);
  });

  it("answers a plain GET on the WebSocket path with a JSON 426", async () => {
    const { room } = await newRoom();
    const res = await api("GET", `/ws/chat/${room.code}/`);
    expect(res.status).toBe(426);
    expect(res.body).toMatchObject({ code: "UPGRADE_REQUIRED" });
    expect(typeof res.body.error).toBe("string");
    const raw = await connectRaw(room.code, "", { Upgrade: "h2c" });
    expect(raw.status).toBe(426);
  });
});
