// Issue 16, big rooms: past RELAY_AFTER_SOCKETS (1 here) a room's new sockets
// live on relay objects (RELAY_COUNT = 2 here), and get the guarantees the
// room's own sockets get. Every test drives the public API; the relays' and the
// room's objects are only looked into to see where a socket landed.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { ChatRoom } from "../../src/room/chat-room";
import { CLOSE_BAD_TOKEN, CLOSE_BANNED } from "../../src/protocol";
import { CLAIMS_HEADER } from "../../src/room/handoff";
import { relayIndexFor } from "../../src/room/relay-protocol";
import type { SessionClaims } from "../../src/domain/tokens";
import { api, Client, connect, connectRaw, connectResuming, join, register, settled, unique } from "../support/api";
import { ban, hostedRoom } from "../support/room-actions";

const RELAYS = 2;

/** How many sockets the room itself and each of its relays hold. */
async function placement(code: string): Promise<{ room: number; relays: number[] }> {
  const room = await runInDurableObject(env.CHAT_ROOM.getByName(code), (_o, state) => state.getWebSockets().length);
  const relays: number[] = [];
  for (let n = 0; n < RELAYS; n++) {
    relays.push(await runInDurableObject(env.CHAT_RELAY.getByName(`${code}:${n}`), (_o, state) => state.getWebSockets().length));
  }
  return { room, relays };
}

/** A hosted room whose host socket is the room's own; `n` guests connect after it, so they land on relays. */
async function bigRoom(n: number) {
  const { room, hostSession } = await hostedRoom();
  const host = await connect(room.code, hostSession.session_token);
  await host.nextFrame("presence");
  const guests: { session: Awaited<ReturnType<typeof join>>; client: Client }[] = [];
  for (let i = 0; i < n; i++) {
    const session = await join(room.code, unique("guest_"));
    guests.push({ session, client: await connect(room.code, session.session_token) });
  }
  return { room, hostSession, host, guests };
}

const closeAll = (...clients: Client[]) => clients.forEach((c) => c.close());

describe("placement", () => {
  it("keeps the first sockets in the room and sends later ones to relays, spread by a stable hash", async () => {
    const { room, host, guests } = await bigRoom(6);
    const where = await placement(room.code);
    expect(where.room).toBe(1);
    expect(where.relays.reduce((a, b) => a + b, 0)).toBe(6);
    // These sockets carry no address, so the room hashes each participation id: the same relay every time.
    const expected = [0, 0];
    for (const g of guests) expected[relayIndexFor(g.session.participation_id, RELAYS)]!++;
    expect(where.relays).toEqual(expected);
    closeAll(host, ...guests.map((g) => g.client));
  });
});

describe("the room's socket cap", () => {
  it("counts the sockets its relays hold: past MAX_SOCKETS_PER_ROOM (10 here) a new socket closes 1008, room is full", async () => {
    const { room, host, guests } = await bigRoom(9);
    // Relays report their sockets to the room at most once a second.
    await vi.waitFor(
      async () => {
        const onRelays = await runInDurableObject(env.CHAT_ROOM.getByName(room.code), (instance) =>
          (instance as unknown as { parts: { relays: { sockets(): number } } }).parts.relays.sockets(),
        );
        expect(onRelays).toBe(9);
      },
      { timeout: 10_000, interval: 100 },
    );
    const late = await connect(room.code, (await join(room.code, unique("late_"))).session_token);
    expect(await late.waitForClose()).toEqual({ code: 1008, reason: "room is full" });
    expect((await placement(room.code)).relays.reduce((a, b) => a + b, 0)).toBe(9);
    closeAll(host, ...guests.map((g) => g.client));
  });

  it("holds exactly under a burst of parallel connects: the room counts a socket when it places it", async () => {
    const { room, hostSession } = await hostedRoom();
    const host = await connect(room.code, hostSession.session_token);
    const sessions = await Promise.all(Array.from({ length: 12 }, () => join(room.code, unique("burst_"))));
    const clients = await Promise.all(sessions.map((s) => connect(room.code, s.session_token)));
    // Every socket either stays or is told the room is full; none slips past the cap of 10.
    await vi.waitFor(
      () => {
        const refused = clients.filter((c) => c.closed !== null);
        expect(refused.length).toBe(3);
        for (const c of refused) expect(c.closed).toEqual({ code: 1008, reason: "room is full" });
      },
      { timeout: 10_000, interval: 50 },
    );
    const where = await placement(room.code);
    expect(where.room + where.relays.reduce((a, b) => a + b, 0)).toBe(10);
    // A slot given back (a socket closes) is the room's again once its relay reports.
    const open = clients.filter((c) => c.closed === null);
    open[0]!.close();
    const next = await join(room.code, unique("next_"));
    await vi.waitFor(
      async () => {
        const again = await connect(room.code, next.session_token);
        await new Promise((r) => setTimeout(r, 300));
        const stayed = again.closed === null;
        if (!stayed) throw new Error("not yet");
        open.push(again);
      },
      { timeout: 10_000, interval: 500 },
    );
    closeAll(host, ...open);
  });
});

describe("logout through relays", () => {
  it("closes the login's sockets on the relays with 4003, after a SESSION_ENDED frame", async () => {
    const { room, host } = await bigRoom(0);
    const account = await register();
    const session = await join(room.code, unique("acct_"), { token: account.token });
    const onRelay = await connect(room.code, session.session_token);
    await onRelay.until("presence", () => onRelay.frames.some((f) => f.type === "presence"));
    expect((await placement(room.code)).relays.reduce((a, b) => a + b, 0)).toBe(1);
    expect((await api("POST", "/api/auth/logout/", { token: account.token })).status).toBe(204);
    expect((await onRelay.waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
    expect(onRelay.frames.find((f) => f.type === "error")).toMatchObject({ code: "SESSION_ENDED" });
    expect(host.closed).toBeNull();
    closeAll(host);
  });
});

describe("the same guarantees through relays", () => {
  it("delivers every message to every socket, room and relays alike, in one gapless seq order under concurrent senders", async () => {
    const { host, guests } = await bigRoom(4);
    const senders = [host, guests[0]!.client, guests[1]!.client];
    for (let i = 0; i < 15; i++) senders.forEach((s, k) => s.send({ message: `s${k}-${i}` }));
    const everyone = [host, ...guests.map((g) => g.client)];
    const seen = await Promise.all(everyone.map((c) => c.waitForMessages(45)));
    for (const got of seen) {
      expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
      expect(got.map((m) => m.id)).toEqual(seen[0]!.map((m) => m.id));
    }
    // Each sender's own messages arrive in the order it sent them.
    for (let k = 0; k < senders.length; k++) {
      const mine = seen[0]!.map((m) => m.content).filter((c: string) => c.startsWith(`s${k}-`));
      expect(mine).toEqual(Array.from({ length: 15 }, (_, i) => `s${k}-${i}`));
    }
    closeAll(...everyone);
  });

  it("acknowledges a relay socket's send with its client_id exactly once, a retry included", async () => {
    const { room, host, guests } = await bigRoom(2);
    const [a, b] = guests.map((g) => g.client) as [Client, Client];
    a.send({ message: "acked through a relay", client_id: "relay-ack-1" });
    const [mine] = await a.waitForMessages(1);
    expect(mine).toMatchObject({ client_id: "relay-ack-1", seq: 1, content: "acked through a relay" });
    const [theirs] = await b.waitForMessages(1);
    expect(theirs).not.toHaveProperty("client_id");
    expect((await host.waitForMessages(1))[0]).not.toHaveProperty("client_id");
    // The retry (a lost ack) gets the stored message again, to the sender only; nothing new is stored.
    a.send({ message: "acked through a relay", client_id: "relay-ack-1" });
    await a.waitForMessages(2);
    expect(a.messages()[1]).toMatchObject({ id: mine!.id, seq: 1, client_id: "relay-ack-1" });
    host.send({ message: "marker" });
    await b.until("the marker", () => b.messages().some((m) => m.content === "marker"));
    expect(b.messages().map((m) => m.seq)).toEqual([1, 2]);
    await settled(room.code);
    const history = await api("GET", `/api/chats/${room.code}/messages/`);
    expect(history.body.messages.map((m: { content: string }) => m.content)).toEqual(["acked through a relay", "marker"]);
    closeAll(host, a, b);
  });

  it("refuses a relay socket's bad send with an error frame carrying its client_id, and stores and broadcasts nothing", async () => {
    const { room, host, guests } = await bigRoom(2);
    const [a, b] = guests.map((g) => g.client) as [Client, Client];
    a.send({ message: "bell\u0007", client_id: "bad-1" });
    const error = await a.nextFrame("error");
    expect(error).toMatchObject({ code: "INVALID_CHARACTERS", client_id: "bad-1" });
    a.send({ message: "", client_id: "bad-2" });
    expect(await a.nextFrame("error")).toMatchObject({ code: "MESSAGE_EMPTY", client_id: "bad-2" });
    host.send({ message: "after the refusals" });
    await b.waitForMessages(1);
    expect(b.messages().map((m) => [m.seq, m.content])).toEqual([[1, "after the refusals"]]);
    await settled(room.code);
    expect((await api("GET", `/api/chats/${room.code}/messages/`)).body.messages).toHaveLength(1);
    closeAll(host, a, b);
  });

  it("resumes a relay socket with last_seq: the missed messages, then live ones, no gap and no duplicate", async () => {
    const { room, host, guests } = await bigRoom(1);
    const guest = guests[0]!;
    for (let i = 1; i <= 3; i++) host.send({ message: `m${i}` });
    await guest.client.waitForMessages(3);
    guest.client.close();
    for (let i = 4; i <= 8; i++) host.send({ message: `m${i}` });
    await host.waitForMessages(8);
    const back = await connectResuming(room.code, guest.session.session_token, 3);
    // Live sends while the backlog is read: they must follow it, once each.
    for (let i = 9; i <= 12; i++) host.send({ message: `m${i}` });
    const got = await back.waitForMessages(9);
    expect(got.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(got.map((m) => m.content)).toEqual(["m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11", "m12"]);
    expect((await placement(room.code)).room).toBe(1);
    closeAll(host, back);
  });

  it("reads a long backlog for a relay socket from the room in pages (about 64 KB each), complete and in order", async () => {
    const { room, host, guests } = await bigRoom(1);
    const guest = guests[0]!;
    guest.client.close();
    // 30 messages of about 4.5 KB as sent: some 135 KB, more than two pages.
    for (let i = 1; i <= 30; i++) host.send({ message: `${i} `.padEnd(4000, "x") });
    await host.waitForMessages(30);
    // Count the pages the room answers (RPC calls reach the class's method, so it is wrapped there for this test).
    const pages: number[] = [];
    const proto = ChatRoom.prototype as unknown as { relayBacklog: (...args: unknown[]) => Promise<{ value?: { messages: unknown[] } }> };
    const original = proto.relayBacklog;
    proto.relayBacklog = async function (this: unknown, ...args: unknown[]) {
      const answer = await original.apply(this, args);
      pages.push(answer.value?.messages.length ?? -1);
      return answer;
    };
    onTestFinished(() => void (proto.relayBacklog = original));
    const back = await connectResuming(room.code, guest.session.session_token, 0);
    const got = await back.waitForMessages(30);
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(back.frames.some((f) => f.type === "gap")).toBe(false);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((n) => n > 0 && n <= 15)).toBe(true);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(30);
    closeAll(host, back);
  });

  it("sums presence over the room and its relays", async () => {
    const { host, guests } = await bigRoom(3);
    const latest = (c: Client) => c.frames.filter((f) => f.type === "presence").at(-1)?.count;
    await host.until("presence 4", () => latest(host) === 4);
    for (const g of guests) await g.client.until("presence 4 on a relay socket", () => latest(g.client) === 4);
    guests[0]!.client.close();
    await host.until("presence 3", () => latest(host) === 3);
    await guests[1]!.client.until("presence 3 on a relay socket", () => latest(guests[1]!.client) === 3);
    closeAll(host, ...guests.map((g) => g.client));
  });

  it("kicks a banned participant's sockets on every relay, counts them, and refuses its next socket", async () => {
    const { room, hostSession, host, guests } = await bigRoom(2);
    const troll = await join(room.code, unique("troll_"));
    // Two tabs of one participant: both on relays.
    const tabs = [await connect(room.code, troll.session_token), await connect(room.code, troll.session_token)];
    const res = await ban(room.code, hostSession.session_token, { username: troll.username });
    expect(res.status).toBe(201);
    expect(res.body.sockets_closed).toBe(2);
    for (const tab of tabs) {
      await tab.until("the kick", () => tab.frames.some((f) => f.type === "kicked"));
      expect((await tab.waitForClose()).code).toBe(CLOSE_BANNED);
    }
    const again = await connect(room.code, troll.session_token);
    expect((await again.waitForClose()).code).toBe(CLOSE_BANNED);
    // The others stay and still get messages.
    host.send({ message: "still here" });
    for (const g of guests) await g.client.waitForMessages(1);
    closeAll(host, ...guests.map((g) => g.client));
  });

  it("sends back-room messages only to members and the host on relays", async () => {
    const { room, hostSession, host } = await bigRoom(0);
    const opened = await api("POST", `/api/chats/${room.code}/backroom/`, {
      body: { enabled: true, price_cents: 500, seat_limit: 5 },
      headers: { "X-Session-Token": hostSession.session_token },
    });
    expect(opened.status).toBe(200);
    const member = await join(room.code, unique("mem_"));
    const outsider = await join(room.code, unique("out_"));
    const seat = await api("POST", `/api/chats/${room.code}/backroom/join/`, {
      body: {},
      headers: { "X-Session-Token": member.session_token, "Idempotency-Key": unique("seat-") },
    });
    expect(seat.status).toBe(200);
    const [m, o] = [await connect(room.code, member.session_token), await connect(room.code, outsider.session_token)];
    expect((await placement(room.code)).room).toBe(1);
    m.send({ message: "members only", channel: "backroom", client_id: "br-1" });
    expect(await m.nextFrame("message")).toMatchObject({ channel: "backroom", client_id: "br-1" });
    await host.until("the back-room message", () => host.messages().some((f) => f.content === "members only"));
    // A main-room marker after it: once the outsider has it, it would have had the other.
    m.send({ message: "main marker" });
    await o.until("the marker", () => o.messages().some((f) => f.content === "main marker"));
    expect(o.messages().map((f) => f.content)).toEqual(["main marker"]);
    // Nor can the outsider resume the back room through its relay.
    const res = await connectRawResume(room.code, outsider.session_token, "last_backroom_seq=0");
    expect((await res.nextFrame("error")).code).toBe("NOT_BACKROOM_MEMBER");
    closeAll(host, m, o, res);
  });

  it("keeps relay sockets working after the relay is evicted (hibernation), and after the room is", async () => {
    const { room, host, guests } = await bigRoom(2);
    const [a, b] = guests.map((g) => g.client) as [Client, Client];
    host.send({ message: "before" });
    await a.waitForMessages(1);
    const { relays } = await placement(room.code);
    for (let n = 0; n < RELAYS; n++) if (relays[n]! > 0) await evictDurableObject(env.CHAT_RELAY.getByName(`${room.code}:${n}`));
    await evictDurableObject(env.CHAT_ROOM.getByName(room.code));
    a.send({ message: "after eviction", client_id: "evicted-1" });
    await a.until("the ack", () => a.messages().some((m) => m.client_id === "evicted-1"));
    await b.waitForMessages(2);
    await host.waitForMessages(2);
    expect(b.messages().map((m) => m.seq)).toEqual([1, 2]);
    closeAll(host, a, b);
  });

  it("heals a batch the room could not deliver: the relay reads the hole from the room before the next message", async () => {
    const { room, host, guests } = await bigRoom(1);
    const guest = guests[0]!.client;
    host.send({ message: "m1" });
    await guest.waitForMessages(1);
    const relay = (await placement(room.code)).relays.findIndex((n) => n > 0);
    // As if the deliveries of m2 and m3 were lost: the relay only takes m4 from the room.
    await runInDurableObject(env.CHAT_ROOM.getByName(room.code), (instance) => {
      const fanout = (instance as unknown as { parts: { relays: { stored: { reports: Record<number, unknown> } } } }).parts.relays;
      fanout.stored.reports = {};
    });
    host.send({ message: "m2" });
    host.send({ message: "m3" });
    await host.waitForMessages(3);
    await runInDurableObject(env.CHAT_ROOM.getByName(room.code), (instance) => {
      const fanout = (instance as unknown as { parts: { relays: { stored: { reports: Record<number, unknown> } } } }).parts.relays;
      fanout.stored.reports = { [relay]: { participants: 1, sockets: 1 } };
    });
    host.send({ message: "m4" });
    const got = await guest.waitForMessages(4);
    expect(got.map((m) => [m.seq, m.content])).toEqual([
      [1, "m1"],
      [2, "m2"],
      [3, "m3"],
      [4, "m4"],
    ]);
    closeAll(host, guest);
  });
});

describe("bad input", () => {
  const claimsFor = (code: string, participationId = crypto.randomUUID()): SessionClaims => ({
    roomCode: code,
    roomId: crypto.randomUUID(),
    participationId,
    userId: null,
    username: "stranger",
    isHost: false,
    usernameIsReserved: false,
    authSessionId: null,
  });
  const upgradeAt = (relay: string, claims: SessionClaims) =>
    env.CHAT_RELAY.getByName(relay).fetch("http://relay/ws", {
      headers: { Upgrade: "websocket", [CLAIMS_HEADER]: JSON.stringify(claims), "Sec-WebSocket-Protocol": "chatpop" },
    });

  it("a socket that asks a relay for another room is refused with 4003 and gets nothing of it", async () => {
    const { room, host, guests } = await bigRoom(1);
    const relay = (await placement(room.code)).relays.findIndex((n) => n > 0);
    const res = await upgradeAt(`${room.code}:${relay}`, claimsFor("zzzzzzzz"));
    // The handshake picks the offered subprotocol, so a browser sees the 4003 and not a failed handshake.
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("chatpop");
    res.webSocket!.accept();
    const stranger = new Client(res.webSocket!);
    expect((await stranger.waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
    host.send({ message: "not for strangers" });
    await guests[0]!.client.waitForMessages(1);
    expect(stranger.messages()).toEqual([]);
    expect((await placement(room.code)).relays[relay]).toBe(1);
    closeAll(host, guests[0]!.client);
  });

  it("a relay whose name matches no room refuses sockets, and the room refuses its sends and reads", async () => {
    const { room, host } = await bigRoom(0);
    for (const name of ["notaroom", `${room.code}:x`, `${room.code}:999`, `${room.code.toUpperCase()}:0`]) {
      const res = await upgradeAt(name, claimsFor(room.code));
      res.webSocket!.accept();
      const c = new Client(res.webSocket!);
      expect((await c.waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
    }
    const stub = env.CHAT_ROOM.getByName(room.code);
    const claims = claimsFor(room.code);
    // Relay 64 is past any relay a room may have; "abcdefgh:0" names another room's relay.
    for (const relay of [`${room.code}:64`, `${room.code}:01`, "abcdefgh:0", "bogus"]) {
      const sent = await stub.relaySubmit(relay, claims, { message: "sneaky", client_id: null, reply_to_id: null }, "s1");
      expect(sent).toMatchObject({ outcome: "refused" });
      const read = await stub.relayBacklog(relay, null, "main", 0);
      expect(read.ok).toBe(false);
    }
    host.send({ type: "ping" });
    await host.nextFrame("pong");
    expect(host.messages()).toEqual([]);
    await settled(room.code);
    expect((await api("GET", `/api/chats/${room.code}/messages/`)).body.messages).toEqual([]);
    closeAll(host);
  });

  it("a relay asked to broadcast by anything but its room refuses, and its sockets get nothing", async () => {
    const { room, host, guests } = await bigRoom(1);
    const relay = (await placement(room.code)).relays.findIndex((n) => n > 0);
    const stub = env.CHAT_RELAY.getByName(`${room.code}:${relay}`);
    const forged = { type: "message", seq: 99, content: "forged" };
    const answer = await stub.deliver({ room: "zzzzzzzz", items: [{ kind: "frame", channel: "all", frame: JSON.stringify(forged) }] });
    expect(answer).toMatchObject({ ok: false, error: { status: 403, code: "NOT_ALLOWED" } });
    expect(await stub.kick("zzzzzzzz", [guests[0]!.session.participation_id])).toBe(0);
    host.send({ message: "real" });
    await guests[0]!.client.waitForMessages(1);
    expect(guests[0]!.client.messages().map((m) => m.content)).toEqual(["real"]);
    expect(guests[0]!.client.closed).toBeNull();
    closeAll(host, guests[0]!.client);
  });
});

async function connectRawResume(code: string, token: string, query: string): Promise<Client> {
  const res = await connectRaw(code, `?session_token=${encodeURIComponent(token)}&${query}`);
  res.webSocket!.accept();
  return new Client(res.webSocket!);
}
