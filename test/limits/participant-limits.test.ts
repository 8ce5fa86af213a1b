// One allowance per participant, whatever path its sends take, and bounded
// resume: in the "limits" project (vitest.config.ts): SEND_BURST 5,
// SEND_PER_SECOND 2, REACTION_BURST 3, REACTION_PER_SECOND 1,
// MESSAGE_CACHE_MAX_COUNT 10.
import { describe, expect, it } from "vitest";
import { api, Client, connect, connectRaw, join, newRoom, settled } from "../support/api";
import { holdRoomClock } from "../support/room-clock";

const rest = (code: string, token: string, message: string) =>
  api("POST", `/api/chats/${code}/messages/send/`, { body: { message }, headers: { "X-Session-Token": token } });

const errors = (c: Client) => c.frames.filter((f) => f.type === "error");

async function connectWith(code: string, token: string, query: string): Promise<Client> {
  const res = await connectRaw(code, `?session_token=${encodeURIComponent(token)}&${query}`);
  res.webSocket!.accept();
  return new Client(res.webSocket!);
}

describe("one send allowance per participant", () => {
  it("is shared by its sockets and its REST sends, and a reconnect refills nothing", async () => {
    const { room } = await newRoom();
    // The room's time stands still: nothing refills between the sends, however slow this machine is.
    await holdRoomClock(room.code);
    const guest = await join(room.code);
    const first = await connect(room.code, guest.session_token);
    for (let i = 0; i < 3; i++) first.send({ message: `socket ${i}`, client_id: `s${i}` });
    await first.until("3 acks", () => first.messages().length >= 3);
    first.close();
    // A new socket: the same allowance, 2 left of 5.
    const second = await connect(room.code, guest.session_token);
    for (let i = 0; i < 5; i++) second.send({ message: `again ${i}`, client_id: `a${i}` });
    await second.until("5 answers", () => second.messages().filter((m) => m.client_id).length + errors(second).length >= 5);
    const accepted = second.messages().filter((m) => m.client_id).length;
    expect(accepted).toBe(2);
    expect(errors(second).map((e) => [e.code, e.client_id])).toEqual([
      ["RATE_LIMITED", "a2"],
      ["RATE_LIMITED", "a3"],
      ["RATE_LIMITED", "a4"],
    ]);
    // REST draws from it too: 429 with Retry-After.
    const refused = await rest(room.code, guest.session_token, "over REST");
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(refused.body.details.retry_after_seconds).toBe(Number(refused.headers.get("Retry-After")));
    second.close();
    // Another participant of the same room has its own.
    const other = await join(room.code);
    expect((await rest(room.code, other.session_token, "mine")).status).toBe(201);
    await settled(room.code);
    expect((await api("GET", `/api/chats/${room.code}/messages/`)).body.messages).toHaveLength(3 + accepted + 1);
  });

  it("a REST flood gets 429s and stores nothing past the allowance", async () => {
    const { room } = await newRoom();
    await holdRoomClock(room.code);
    const guest = await join(room.code);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => rest(room.code, guest.session_token, `rest ${i}`)));
    // The burst and not one more: the room's clock stands still while the 30 calls are answered.
    expect(answers.filter((a) => a.status === 201)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(25);
    await settled(room.code);
    expect((await api("GET", `/api/chats/${room.code}/messages/`)).body.messages).toHaveLength(5);
  });

  it("reactions have an allowance of their own", async () => {
    const { room } = await newRoom();
    await holdRoomClock(room.code);
    const guest = await join(room.code);
    const sent = await rest(room.code, guest.session_token, "react to me");
    const react = (emoji: string) =>
      api("POST", `/api/chats/${room.code}/messages/${sent.body.id}/react/`, { body: { emoji }, headers: { "X-Session-Token": guest.session_token } });
    const answers = [];
    for (const e of ["👍", "👍", "👍", "👍", "👍"]) answers.push(await react(e));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    expect(answers[3]!.headers.get("Retry-After")).toBe("1");
  });
});

describe("connects per minute (CONNECTS_PER_MINUTE 6 per participant, CONNECTS_PER_MINUTE_PER_IP 10 here)", () => {
  it("a participant that reconnects past its budget is closed 1008 at once, and gets no backlog", async () => {
    const { room } = await newRoom();
    await holdRoomClock(room.code);
    const guest = await join(room.code);
    expect((await rest(room.code, guest.session_token, "missed")).status).toBe(201);
    for (let i = 0; i < 6; i++) {
      const c = await connectWith(room.code, guest.session_token, "last_seq=0");
      await c.waitForMessages(1);
      c.close();
    }
    const over = await connectWith(room.code, guest.session_token, "last_seq=0");
    expect(await over.waitForClose()).toEqual({ code: 1008, reason: "too many connections for one participant; wait a minute" });
    expect(over.messages()).toEqual([]);
    // Another participant is not held up by it.
    const other = await connect(room.code, (await join(room.code)).session_token);
    await other.until("presence", () => other.frames.some((f) => f.type === "presence"));
    expect(other.closed).toBeNull();
    other.close();
  });

  it("counts every participant's connects from one address together", async () => {
    const { room } = await newRoom();
    await holdRoomClock(room.code);
    const ip = "10.77.1.2";
    const sessions = await Promise.all(Array.from({ length: 4 }, () => join(room.code)));
    const upgrade = async (i: number) => {
      const res = await connectRaw(room.code, `?session_token=${encodeURIComponent(sessions[i % 4]!.session_token)}`, { "CF-Connecting-IP": ip });
      res.webSocket!.accept();
      return new Client(res.webSocket!);
    };
    for (let i = 0; i < 10; i++) {
      const c = await upgrade(i);
      await c.until("presence", () => c.frames.some((f) => f.type === "presence"));
      c.close();
      await c.waitForClose();
    }
    const over = await upgrade(10);
    expect(await over.waitForClose()).toEqual({ code: 1008, reason: "too many connections from your network; wait a minute" });
  });
});

describe("bounded resume", () => {
  async function roomWith(n: number) {
    const { host, room } = await newRoom();
    // Five senders, five messages each: the send allowance is 5.
    for (let i = 0; i < n; ) {
      const sender = await join(room.code);
      for (let j = 0; j < 5 && i < n; j++, i++) expect((await rest(room.code, sender.session_token, `m${i + 1}`)).status).toBe(201);
      // This project holds at most 8 unflushed messages (MAX_UNFLUSHED_MESSAGES): let Postgres catch up.
      await settled(room.code);
    }
    await settled(room.code);
    return { host, room };
  }

  it("sends at most the window's worth, after one gap frame that says what was left out and how to page it", async () => {
    const { room } = await roomWith(25);
    const reader = await join(room.code);
    const c = await connectWith(room.code, reader.session_token, "last_seq=0");
    await c.waitForMessages(10);
    await new Promise((r) => setTimeout(r, 200));
    const gap = c.frames.find((f) => f.type === "gap")!;
    expect(c.frames.indexOf(gap)).toBeLessThan(c.frames.findIndex((f) => f.type === "message"));
    expect(c.frames.filter((f) => f.type === "gap")).toHaveLength(1);
    expect(gap).toMatchObject({ type: "gap", channel: "main", from_seq: 1, to_seq: 15 });
    expect(c.messages().map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    // The cursor pages exactly what was skipped.
    const page = await api("GET", `/api/chats/${room.code}/messages/?before=${gap.before}&limit=100`);
    expect(page.body.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    c.close();
    // A resume within the window has no gap.
    const near = await connectWith(room.code, reader.session_token, "last_seq=20");
    await near.waitForMessages(5);
    await new Promise((r) => setTimeout(r, 200));
    expect(near.frames.some((f) => f.type === "gap")).toBe(false);
    near.close();
  });

  it("sends at most RESUME_MAX_BYTES (20,000 here) of missed messages: older ones join the gap, however few they are", async () => {
    const { room } = await newRoom();
    const long = (i: number) => `${i}`.padEnd(4000, "x");
    for (let i = 0; i < 6; i++) {
      const sender = await join(room.code);
      expect((await rest(room.code, sender.session_token, long(i + 1))).status).toBe(201);
    }
    await settled(room.code);
    const reader = await join(room.code);
    const c = await connectWith(room.code, reader.session_token, "last_seq=0");
    await c.waitForMessages(4);
    await new Promise((r) => setTimeout(r, 200));
    // Each message is about 4.5 KB as sent: four fit in 20,000 bytes, the two older ones are the gap.
    expect(c.frames.filter((f) => f.type === "gap")).toEqual([expect.objectContaining({ channel: "main", from_seq: 1, to_seq: 2 })]);
    expect(c.messages().map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    c.close();
  });

  it("resumes the back room by its own seq, for members and the host only", async () => {
    const { host, room } = await newRoom();
    const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
    const open = await api("POST", `/api/chats/${room.code}/backroom/`, {
      body: { enabled: true, price_cents: 500, seat_limit: 5 },
      headers: { "X-Session-Token": hostSession.session_token },
    });
    expect(open.status).toBe(200);
    const send = (channel: string, message: string) =>
      api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message, channel }, headers: { "X-Session-Token": hostSession.session_token } });
    for (const m of ["b1", "b2", "b3"]) expect((await send("backroom", m)).status).toBe(201);
    expect((await send("main", "main 1")).status).toBe(201);
    await settled(room.code);

    const me = await connectWith(room.code, hostSession.session_token, "last_seq=1&last_backroom_seq=1");
    await me.until("the back room's backlog", () => me.messages().filter((m) => m.channel === "backroom").length >= 2);
    expect(me.messages().filter((m) => m.channel === "backroom").map((m) => m.content)).toEqual(["b2", "b3"]);
    me.close();

    const outsider = await join(room.code);
    const o = await connectWith(room.code, outsider.session_token, "last_seq=0&last_backroom_seq=0");
    await o.until("the main backlog and a refusal", () => o.messages().length >= 1 && errors(o).length >= 1);
    expect(errors(o).map((e) => e.code)).toEqual(["NOT_BACKROOM_MEMBER"]);
    expect(o.messages().map((m) => m.content)).toEqual(["main 1"]);
    o.close();
  });
});

