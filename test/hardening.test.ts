// Issue 12, hardening: what one hostile participant could do to a room, tried
// through the public API. Each test failed before the fix it names.
import { describe, expect, it } from "vitest";
import { api, Client, connect, connectRaw, join, register, settled, unique, BASE, worker } from "./support/api";
import { ban, history, hostedRoom, react, remove, roomWithMessage, sendRest } from "./support/room-actions";
import { CLOSE_BAD_TOKEN, protocolsFor } from "../src/protocol";
import { completeByWebhook } from "./support/payments";

const NUL = "\u0000";
const LONE = "\ud800";

async function openBackroom(code: string, hostToken: string, seats = 5) {
  const res = await api("POST", `/api/chats/${code}/backroom/`, {
    body: { enabled: true, price_cents: 500, seat_limit: seats },
    headers: { "X-Session-Token": hostToken },
  });
  expect(res.status).toBe(200);
}

const buySeat = (code: string, token: string, extra: Record<string, string> = {}) =>
  api("POST", `/api/chats/${code}/backroom/join/`, {
    body: {},
    headers: { "X-Session-Token": token, "Idempotency-Key": unique("seat-"), ...extra },
  });

describe("1. text with control characters or lone surrogates is refused everywhere", () => {
  it("refuses them in a REST send (message and client_id) and stores nothing", async () => {
    const { room, alice } = await roomWithMessage();
    for (const body of [
      { message: `hi${NUL}there` },
      { message: "bell\u0007" },
      { message: `half an emoji ${LONE}` },
      { message: "ok", client_id: `id${NUL}` },
    ]) {
      const res = await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { ...body, session_token: alice.session_token } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("INVALID_CHARACTERS");
      expect(typeof res.body.details.field).toBe("string");
    }
    // Newlines and tabs are text.
    expect((await sendRest(room.code, alice.session_token, "line one\n\tline two")).status).toBe(201);
    expect((await history(room.code)).messages.map((m: any) => m.content)).toEqual(["react to me", "line one\n\tline two"]);
  });

  it("refuses them in every other field: room name and description, fingerprint, username, access code, ban reason, query strings", async () => {
    const host = await register();
    const create = (body: Record<string, unknown>) => api("POST", "/api/chats/create/", { token: host.token, body });
    expect((await create({ name: `Room${NUL}` })).body.code).toBe("INVALID_CHARACTERS");
    expect((await create({ name: "Room", description: "\u001b[2J" })).body.code).toBe("INVALID_CHARACTERS");
    expect((await create({ name: "Room", access_mode: "private", access_code: `code${NUL}x` })).body.code).toBe("INVALID_CHARACTERS");
    const room = (await create({ name: "Room" })).body;
    const joinWith = (body: Record<string, unknown>) => api("POST", `/api/chats/${room.code}/join/`, { body });
    expect((await joinWith({ username: "someone_1", fingerprint: `fp${NUL}` })).body.code).toBe("INVALID_CHARACTERS");
    expect((await joinWith({ username: `some${NUL}one`, fingerprint: "fp-1" })).body.code).toBe("INVALID_CHARACTERS");
    expect((await joinWith({ username: "someone_1", fingerprint: `fp${LONE}` })).body.code).toBe("INVALID_CHARACTERS");
    const validate = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: "someone_1", fingerprint: `\u0085` } });
    expect(validate.body.code).toBe("INVALID_CHARACTERS");
    const mine = await api("GET", `/api/chats/${room.code}/my-participation/?fingerprint=fp%00x`);
    expect([mine.status, mine.body.code]).toEqual([400, "INVALID_CHARACTERS"]);
    const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
    const banned = await ban(room.code, hostSession.session_token, { username: "someone_1", reason: `spam${NUL}` });
    expect([banned.status, banned.body.code]).toEqual([400, "INVALID_CHARACTERS"]);
    expect((await ban(room.code, hostSession.session_token, { fingerprint: `x${NUL}` })).body.code).toBe("INVALID_CHARACTERS");
    // Nothing of it was stored: no ban, no participation.
    const bans = await api("GET", `/api/chats/${room.code}/bans/`, { headers: { "X-Session-Token": hostSession.session_token } });
    expect(bans.body.bans).toEqual([]);
  });

  it("a poison sender looping beside honest senders costs them nothing: every honest send is stored and broadcast", async () => {
    const { room, alice, bob } = await roomWithMessage();
    const poisoner = await join(room.code, "poison_1");
    const [a, b, p] = await Promise.all([connect(room.code, alice.session_token), connect(room.code, bob.session_token), connect(room.code, poisoner.session_token)]);
    const honest: string[] = [];
    for (let i = 0; i < 20; i++) {
      p.send({ message: `bad${NUL}${i}`, client_id: `p${i}` });
      p.send({ message: "x", client_id: `c${NUL}${i}` });
      p.send(`{"message":"${"\\ud800"}${i}"}`);
      a.send({ message: `alice ${i}`, client_id: `a${i}` });
      b.send({ message: `bob ${i}`, client_id: `b${i}` });
      honest.push(`alice ${i}`, `bob ${i}`);
    }
    await a.waitForMessages(40);
    await b.waitForMessages(40);
    await p.until("60 refusals", () => p.frames.filter((f) => f.type === "error").length >= 60);
    expect(p.frames.filter((f) => f.type === "error").every((f) => f.code === "INVALID_CHARACTERS")).toBe(true);
    expect(a.messages().map((m) => m.content).sort()).toEqual([...honest].sort());
    const stored = (await history(room.code)).messages.map((m: any) => m.content);
    expect(stored.filter((c: string) => c !== "react to me").sort()).toEqual([...honest].sort());
    for (const c of [a, b, p]) c.close();
  });
});

describe("3. reactions are limited per participant", () => {
  it("caps the distinct emoji one participant puts on one message (a toggle off frees one)", async () => {
    const { room, alice, message } = await roomWithMessage();
    const emoji = ["👍", "❤️", "😂", "🔥", "🎉", "👀", "🙏"];
    for (const e of emoji.slice(0, 6)) expect((await react(room.code, message.id, alice.session_token, e)).body.action).toBe("added");
    const seventh = await react(room.code, message.id, alice.session_token, emoji[6]);
    expect([seventh.status, seventh.body.code, seventh.body.details.max_reactions]).toEqual([409, "REACTION_LIMIT", 6]);
    expect((await react(room.code, message.id, alice.session_token, emoji[0])).body.action).toBe("removed");
    expect((await react(room.code, message.id, alice.session_token, emoji[6])).body.action).toBe("added");
    const counts = await api("GET", `/api/chats/${room.code}/messages/${message.id}/reactions/`);
    expect(counts.body.reactions.length).toBe(6);
  });
});

describe("4. a ban ends reading too, and is hard to dodge", () => {
  it("a banned session reads neither the private room's history, nor its reactions, nor the back room's history", async () => {
    const host = await register();
    const room = (await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Private", access_mode: "private", access_code: "letmein" } })).body;
    const hostSession = await join(room.code, host.user.reserved_username, { token: host.token, access_code: "letmein" });
    const eve = await join(room.code, "eve_reader", { access_code: "letmein" });
    await openBackroom(room.code, hostSession.session_token);
    expect((await buySeat(room.code, eve.session_token)).status).toBe(200);
    const sent = await sendRest(room.code, hostSession.session_token, "secret plans");
    await settled(room.code);
    const read = (path: string) => api("GET", `/api/chats/${room.code}/${path}`, { headers: { "X-Session-Token": eve.session_token } });
    expect((await read("messages/")).status).toBe(200);
    expect((await read("backroom/messages/")).status).toBe(200);
    expect((await ban(room.code, hostSession.session_token, { username: "eve_reader" })).status).toBe(201);
    for (const path of ["messages/", "backroom/messages/", `messages/${sent.body.id}/reactions/`, "backroom/"]) {
      const res = await read(path);
      expect([path, res.status, res.body.code]).toEqual([path, 403, "BANNED"]);
    }
  });

  it("a ban by name also covers that participant's device, address and account, captured at ban time", async () => {
    const { room, hostSession } = await hostedRoom();
    const ip = "10.77.1.2";
    const troll = await join(room.code, "troll_one", { fingerprint: "troll-device", ip });
    expect((await ban(room.code, hostSession.session_token, { username: troll.username })).status).toBe(201);
    const again = (username: string, fingerprint: string, from: string) =>
      api("POST", `/api/chats/${room.code}/join/`, { ip: from, body: { username, fingerprint } });
    // A new name from the same device, or from the same address with a new device: refused.
    expect((await again("troll_two", "troll-device", "10.99.0.1")).body.code).toBe("BANNED");
    expect((await again("troll_three", "another-device", ip)).body.code).toBe("BANNED");
    // Someone else elsewhere is let in.
    expect((await again("innocent_1", "innocent-device", "10.99.0.2")).status).toBe(200);
    // A ban by account covers that account's address too.
    const account = await register();
    const member = await join(room.code, account.user.reserved_username, { token: account.token, ip: "10.66.6.6" });
    expect((await ban(room.code, hostSession.session_token, { user_id: account.user.id })).status).toBe(201);
    expect((await again("alt_anon", "fresh-device", "10.66.6.6")).body.code).toBe("BANNED");
    expect(member.participation_id).toBeTruthy();
  });

  it("the host is never covered by what a ban captured, even from the same address", async () => {
    const host = await register();
    const room = (await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Shared wifi" } })).body;
    const ip = "10.55.5.5";
    const hostSession = await join(room.code, host.user.reserved_username, { token: host.token, ip });
    const guest = await join(room.code, "guest_same", { ip });
    const res = await ban(room.code, hostSession.session_token, { username: guest.username });
    expect([res.status, res.body.participations_covered]).toEqual([201, 1]);
    expect((await sendRest(room.code, hostSession.session_token, "still here")).status).toBe(201);
    const again = await join(room.code, host.user.reserved_username, { token: host.token, ip });
    expect(again.is_host).toBe(true);
  });
});

describe("5. logout ends the room sessions the login minted", () => {
  it("refuses them on REST and at socket connect, the host's included", async () => {
    const { host, room, hostSession } = await hostedRoom();
    const account = await register();
    const member = await join(room.code, account.user.reserved_username, { token: account.token });
    const anon = await join(room.code, "anon_stays");
    const socket = await connect(room.code, member.session_token);
    socket.close();
    for (const token of [account.token, host.token]) expect((await api("POST", "/api/auth/logout/", { token })).status).toBe(204);

    const send = await sendRest(room.code, member.session_token, "after logout");
    expect([send.status, send.body.code]).toEqual([401, "SESSION_ENDED"]);
    const read = await api("GET", `/api/chats/${room.code}/messages/`, { headers: { "X-Session-Token": member.session_token } });
    expect(read.body.code).toBe("SESSION_ENDED");
    const hostPower = await ban(room.code, hostSession.session_token, { username: anon.username });
    expect([hostPower.status, hostPower.body.code]).toEqual([401, "SESSION_ENDED"]);
    const ws = await connectRaw(room.code, `?session_token=${encodeURIComponent(member.session_token)}`);
    ws.webSocket!.accept();
    expect((await new Client(ws.webSocket!).waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
    // An anonymous session has no login to end.
    expect((await sendRest(room.code, anon.session_token, "still fine")).status).toBe(201);
  });
});

describe("6. back-room fairness and privacy", () => {
  it("one pending seat purchase per participant", async () => {
    const { room, hostSession } = await hostedRoom();
    await openBackroom(room.code, hostSession.session_token);
    const buyer = await join(room.code, "buyer_one");
    const first = await buySeat(room.code, buyer.session_token, { "X-Test-Payment-Outcome": "pending" });
    expect(first.status).toBe(402);
    const second = await buySeat(room.code, buyer.session_token, { "X-Test-Payment-Outcome": "pending" });
    expect([second.status, second.body.code]).toEqual([409, "PURCHASE_PENDING"]);
    const seats = await api("GET", `/api/chats/${room.code}/backroom/`);
    expect(seats.body.backroom.seats_taken).toBe(1);
  });

  it("reaction and delete events of a back-room message reach only members and the host; its reactions are 404 to others", async () => {
    const { room, hostSession } = await hostedRoom();
    await openBackroom(room.code, hostSession.session_token);
    const member = await join(room.code, "member_one");
    const outsider = await join(room.code, "outside_one");
    expect((await buySeat(room.code, member.session_token)).status).toBe(200);
    const [m, o] = await Promise.all([connect(room.code, member.session_token), connect(room.code, outsider.session_token)]);
    m.send({ message: "members only", channel: "backroom" });
    const msg = await m.nextFrame("message");
    expect((await react(room.code, msg.id, member.session_token, "🔥")).status).toBe(200);
    expect((await remove(room.code, msg.id, hostSession.session_token)).status).toBe(200);
    await m.until("the deletion", () => m.frames.some((f) => f.type === "message_deleted"));
    // A main-room event after them: once the outsider has it, it would have had the others.
    m.send({ message: "main marker" });
    await o.until("the marker", () => o.messages().some((f) => f.content === "main marker"));
    expect(o.frames.filter((f) => ["reaction", "message_deleted"].includes(f.type))).toEqual([]);
    expect(m.frames.some((f) => f.type === "reaction" && f.message_id === msg.id)).toBe(true);
    const other = await worker.fetch(`${BASE}/api/chats/${room.code}/messages/${msg.id}/reactions/`, {
      headers: { "X-Session-Token": outsider.session_token, "CF-Connecting-IP": "10.1.1.1" },
    });
    expect(other.status).toBe(404);
    for (const c of [m, o]) c.close();
  });

  it("a payment that completes when no seat is left stays paid, gives no seat, and says why", async () => {
    const { room, hostSession } = await hostedRoom();
    await openBackroom(room.code, hostSession.session_token, 1);
    const late = await join(room.code, "late_payer");
    const pending = await buySeat(room.code, late.session_token, { "X-Test-Payment-Outcome": "pending" });
    expect(pending.status).toBe(402);
    // The host closes the back room while the payment is pending.
    await api("POST", `/api/chats/${room.code}/backroom/`, { body: { enabled: false }, headers: { "X-Session-Token": hostSession.session_token } });
    const applied = await completeByWebhook(pending.body.transaction.provider_payment_id);
    expect(applied).toBe(false);
    const again = await buySeat(room.code, late.session_token);
    expect(again.body.code).toBe("BACKROOM_DISABLED");
    const status = await api("GET", `/api/chats/${room.code}/backroom/`, { headers: { "X-Session-Token": late.session_token } });
    expect(status.body.backroom.is_member).toBe(false);
  });
});

describe("7. a private room leaks nothing without its code or a session", () => {
  it("validate-username and the back room's details need the access code or a room session", async () => {
    const host = await register();
    const room = (await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Hidden", access_mode: "private", access_code: "opensesame" } })).body;
    const validate = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: "someone_1", ...body }, headers });
    // Without the code only the rules are checked: a name in use there gets the same answer as a free one.
    const guest = await join(room.code, "guest_in", { access_code: "opensesame" });
    const outsideFree = await validate({});
    const outsideTaken = await validate({ username: "guest_in" });
    expect(outsideFree.status).toBe(200);
    expect({ ...outsideTaken.body, username: "someone_1" }).toEqual(outsideFree.body);
    expect(outsideFree.body.message).toContain("checked when you join");
    expect((await validate({ username: "ab" })).body).toMatchObject({ available: false });
    expect((await validate({ access_code: "wrong" })).status).toBe(403);
    expect((await validate({ access_code: "opensesame" })).body).toMatchObject({ available: true });
    expect((await validate({ username: "guest_in", access_code: "opensesame" })).body).toMatchObject({ available: false });
    expect((await validate({}, { "X-Session-Token": guest.session_token })).status).toBe(200);
    expect((await api("GET", `/api/chats/${room.code}/backroom/`)).body.code).toBe("ACCESS_CODE_INVALID");
    expect((await api("GET", `/api/chats/${room.code}/backroom/`, { headers: { "X-Access-Code": "opensesame" } })).status).toBe(200);
  });
});

describe("8. the host's name is the host's in their rooms", () => {
  it("refuses an anonymous join under the host's reserved username, and validate says so", async () => {
    const { host, room } = await hostedRoom();
    const res = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: host.user.reserved_username.toUpperCase(), fingerprint: "fp-x" } });
    expect([res.status, res.body.code]).toEqual([409, "USERNAME_RESERVED"]);
    const v = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: host.user.reserved_username, fingerprint: "fp-x" } });
    expect(v.body.available).toBe(false);
  });
});

describe("9. tokens stay out of URLs", () => {
  it("the socket takes the session token as a subprotocol and answers `chatpop`", async () => {
    const { room, alice } = await roomWithMessage();
    const res = await connectRaw(room.code, "", { "Sec-WebSocket-Protocol": protocolsFor(alice.session_token).join(", ") });
    expect(res.status).toBe(101);
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("chatpop");
    res.webSocket!.accept();
    const client = new Client(res.webSocket!);
    client.send({ message: "via subprotocol" });
    expect((await client.nextFrame("message")).content).toBe("via subprotocol");
    client.close();
    const bad = await connectRaw(room.code, "", { "Sec-WebSocket-Protocol": protocolsFor("forged").join(", ") });
    expect(bad.headers.get("Sec-WebSocket-Protocol")).toBe("chatpop");
    bad.webSocket!.accept();
    expect((await new Client(bad.webSocket!).waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
  });
});
