// The original ChatPop web client (robertddewey/ChatPop, frontend/ at 1820b0b) against this
// backend: its calls in its order, with its headers (`Authorization: Token …`, no session header)
// and its bodies, asserting every field it reads, with its type. The client's own code is quoted
// in the comments where a field's meaning matters.
import { describe, expect, it } from "vitest";
import { api, connect, randomIp, settled, unique, type ApiResponse } from "../support/api";
import { HOUR, withinOneRateWindow } from "../support/rate-window";

/** The client's axios instance: JSON, and `Token <token>` once logged in (lib/api.ts). */
const client = (token?: string) => (method: string, path: string, body?: unknown, ip?: string) =>
  api(method, path, { body, ip, headers: token ? { Authorization: `Token ${token}` } : {} });

const isoTime = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
const uuid = expect.stringMatching(/^[0-9a-f-]{36}$/);

/** Every field lib/api.ts's ChatRoom has that the pages read, with the client's types. */
const roomShape = (code: string, hostId: string, hostName: string | null) => ({
  id: uuid,
  code,
  name: expect.any(String),
  description: expect.any(String),
  host: expect.objectContaining({ id: hostId, reserved_username: hostName }),
  url: `/chat/${code}`,
  access_mode: "public",
  voice_enabled: false,
  video_enabled: false,
  photo_enabled: false,
  default_theme: expect.any(String),
  theme_locked: false,
  message_count: expect.any(Number),
  has_back_room: false,
  is_active: true,
  created_at: isoTime,
});

/** lib/api.ts's Message, as the page and the socket hook read it. */
const messageShape = {
  id: uuid,
  username: expect.any(String),
  user: null,
  message_type: "normal",
  content: expect.any(String),
  reply_to: null,
  reply_to_message: null,
  is_pinned: false,
  pinned_at: null,
  pinned_until: null,
  pin_amount_paid: "0.00",
  is_from_host: false,
  username_is_reserved: false,
  time_until_unpin: null,
  created_at: isoTime,
  is_deleted: false,
};

const expectDetail = (res: ApiResponse, status: number) => {
  expect(res.status).toBe(status);
  // The client shows `err.response.data.detail` (CreateChatModal, LoginModal, the chat page).
  expect(res.body.detail).toEqual(expect.any(String));
  expect(res.body.detail.length).toBeGreaterThan(10);
  expect(res.body.detail).toBe(res.body.error);
};

describe("the original ChatPop web client", () => {
  it("registers, logs in, creates a room, joins as host and chats; a guest joins, pages history by time, and returns", async () => {
    const anon = client();
    const email = `${unique("orig")}@example.com`;
    const reserved = unique("Orig_");
    const password = "sturdy-pass-42";

    // RegisterModal: the live name check, then register, then login.
    const check = await anon("GET", `/api/auth/check-username/?username=${reserved}`);
    expect(check.status).toBe(200);
    expect(check.body).toEqual({ available: true, message: expect.any(String) });
    // Its "suggest" button: a name that passes the rules and is free to reserve.
    const suggested = await anon("POST", "/api/auth/suggest-username/");
    expect(suggested.body).toEqual({ username: expect.stringMatching(/^[A-Za-z0-9_]{5,15}$/), remaining: expect.any(Number) });
    expect((await anon("GET", `/api/auth/check-username/?username=${suggested.body.username}`)).body.available).toBe(true);
    const registered = await anon("POST", "/api/auth/register/", { email, password, reserved_username: reserved });
    expect(registered.status).toBe(201);
    expect((await anon("GET", `/api/auth/check-username/?username=${reserved.toUpperCase()}`)).body).toMatchObject({ available: false });
    const login = await anon("POST", "/api/auth/login/", { email, password });
    expect(login.status).toBe(200);
    expect(login.body.token).toEqual(expect.any(String));
    const host = client(login.body.token);

    // Header / chat page: authApi.getCurrentUser() → the User itself, not wrapped.
    const me = await host("GET", "/api/auth/me/");
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: uuid, email, reserved_username: reserved, created_at: isoTime });

    // CreateChatModal sends every field, with an empty access code for a public room.
    const created = await host("POST", "/api/chats/create/", {
      name: "Original client room",
      description: "",
      access_mode: "public",
      access_code: "",
      voice_enabled: true,
      video_enabled: false,
      photo_enabled: true,
    });
    expect(created.status).toBe(201);
    const code = created.body.code as string;
    expect(created.body).toMatchObject(roomShape(code, me.body.id, reserved));

    // The chat page: getChatByCode, then my-participation (not joined yet).
    const hostFp = unique("fp-host");
    const room = await host("GET", `/api/chats/${code}/`);
    expect(room.body).toMatchObject(roomShape(code, me.body.id, reserved));
    // "I am the host" is `chatRoom.host.id === currentUser.id`.
    expect(room.body.host.id).toBe(me.body.id);
    expect((await host("GET", `/api/chats/${code}/my-participation/?fingerprint=${hostFp}`)).body).toEqual({ has_joined: false });

    // JoinChatModal: validate the name, then join (Token scheme: a logged-in join).
    const valid = await host("POST", `/api/chats/${code}/validate-username/`, { username: reserved, fingerprint: hostFp });
    expect(valid.body).toMatchObject({ available: true, username: reserved, message: expect.any(String) });
    const hostJoin = await host("POST", `/api/chats/${code}/join/`, { username: reserved, access_code: undefined, fingerprint: hostFp });
    expect(hostJoin.status).toBe(200);
    expect(hostJoin.body).toMatchObject({ session_token: expect.any(String), username: reserved, is_host: true, username_is_reserved: true });
    const mine = await host("GET", `/api/chats/${code}/my-participation/?fingerprint=${hostFp}`);
    expect(mine.body).toMatchObject({ has_joined: true, username: reserved, username_is_reserved: true, first_joined_at: isoTime, last_seen_at: isoTime });

    // useChatWebSocket: ws://…/ws/chat/{code}/?session_token=…, sends {message, session_token}; a frame with `id` is a message.
    const hostSocket = await connect(code, hostJoin.body.session_token);
    hostSocket.send({ message: "Welcome, everyone", session_token: hostJoin.body.session_token });
    const [hostMsg] = await hostSocket.waitForMessages(1);
    expect(hostMsg).toMatchObject({ ...messageShape, username: reserved, message_type: "host", is_from_host: true, username_is_reserved: true, user: { id: me.body.id } });

    // A guest on another device: check-rate-limit, join, send over REST (the client's fallback).
    const guest = client();
    const guestFp = unique("fp-guest");
    const guestIp = randomIp();
    // JoinChatModal's "suggest": a free name here, and how many more this address may ask for.
    const idea = await guest("POST", `/api/chats/${code}/suggest-username/`, { fingerprint: guestFp }, guestIp);
    expect(idea.body).toEqual({ username: expect.stringMatching(/^[A-Za-z0-9_]{5,15}$/), remaining: expect.any(Number) });
    const another = await guest("POST", `/api/chats/${code}/suggest-username/`, { fingerprint: guestFp }, guestIp);
    expect(another.body.remaining).toBe(idea.body.remaining - 1);
    expect((await guest("POST", `/api/chats/${code}/validate-username/`, { username: idea.body.username, fingerprint: guestFp })).body.available).toBe(true);
    const limit = await guest("GET", `/api/chats/${code}/check-rate-limit/?fingerprint=${guestFp}`, undefined, guestIp);
    expect(limit.body).toEqual({ can_join: true, is_rate_limited: false, anonymous_count: 0, max_allowed: 3 });
    expect((await guest("GET", `/api/chats/${code}/my-participation/?fingerprint=${guestFp}`)).body).toEqual({ has_joined: false });
    expect((await guest("GET", `/api/chats/${code}/fingerprint-username/?fingerprint=${guestFp}`)).body).toEqual({ found: false, username: null });
    const guestJoin = await guest("POST", `/api/chats/${code}/join/`, { username: "guest_orig", fingerprint: guestFp }, guestIp);
    expect(guestJoin.status).toBe(200);
    // UsernameStorage.saveUsername posts the name for the fingerprint after a join.
    const saved = await guest("POST", `/api/chats/${code}/fingerprint-username/`, { fingerprint: guestFp, username: "guest_orig" });
    expect(saved.body).toEqual({ found: true, username: "guest_orig" });
    const sent = await guest("POST", `/api/chats/${code}/messages/send/`, {
      username: "guest_orig",
      content: "hello from the original client",
      session_token: guestJoin.body.session_token,
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ ...messageShape, username: "guest_orig", content: "hello from the original client" });
    for (let i = 0; i < 4; i++) {
      await guest("POST", `/api/chats/${code}/messages/send/`, { username: "guest_orig", content: `line ${i}`, session_token: guestJoin.body.session_token });
    }
    await settled(code);

    // messageApi.getMessages reads `messages`; older pages go by `before` as a Unix timestamp or ISO 8601.
    const newest = await guest("GET", `/api/chats/${code}/messages/?limit=3`);
    expect(newest.body.messages.map((m: any) => m.content)).toEqual(["line 1", "line 2", "line 3"]);
    for (const m of newest.body.messages) expect(m).toMatchObject(messageShape);
    const oldest = newest.body.messages[0];
    const unixBefore = (Date.parse(oldest.created_at) / 1000).toString();
    for (const before of [unixBefore, oldest.created_at]) {
      const older = await guest("GET", `/api/chats/${code}/messages/?limit=3&before=${encodeURIComponent(before)}`);
      expect(older.status).toBe(200);
      expect(older.body.messages.map((m: any) => m.content)).toEqual(["Welcome, everyone", "hello from the original client", "line 0"]);
    }
    // A time in the future is "from the newest".
    const future = await guest("GET", `/api/chats/${code}/messages/?limit=3&before=${Date.now() / 1000 + 86_400}`);
    expect(future.body.messages.map((m: any) => m.content)).toEqual(["line 1", "line 2", "line 3"]);

    // A reload: my-participation says the guest has joined, and under which name; so does the fingerprint lookup.
    const back = await guest("GET", `/api/chats/${code}/my-participation/?fingerprint=${guestFp}`);
    expect(back.body).toMatchObject({ has_joined: true, username: "guest_orig", username_is_reserved: false, first_joined_at: isoTime, last_seen_at: isoTime });
    expect((await guest("GET", `/api/chats/${code}/fingerprint-username/?fingerprint=${guestFp}`)).body).toEqual({ found: true, username: "guest_orig" });
    const rejoin = await guest("GET", `/api/chats/${code}/check-rate-limit/?fingerprint=${guestFp}`, undefined, guestIp);
    expect(rejoin.body).toEqual({ can_join: true, is_rate_limited: false, existing_username: "guest_orig" });
    hostSocket.close();
  });

  it("takes the original's upper-case room codes, and shows replies and pins in the original's fields", async () => {
    const anon = client();
    const login = await anon("POST", "/api/auth/register/", { email: `${unique("o")}@example.com`, password: "sturdy-pass-42" });
    // No reserved name: optional at registration, as in the original.
    expect(login.status).toBe(201);
    expect(login.body.user.reserved_username).toBeNull();
    const host = client(login.body.token);
    const room = (await host("POST", "/api/chats/create/", { name: "Codes", access_mode: "public", access_code: "" })).body;
    expect(room.host.reserved_username).toBeNull();
    const upper = room.code.toUpperCase();
    const byUpper = await anon("GET", `/api/chats/${upper}/`);
    expect(byUpper.status).toBe(200);
    expect(byUpper.body.code).toBe(room.code);

    const fp = unique("fp");
    const joined = await anon("POST", `/api/chats/${upper}/join/`, { username: "upper_case", fingerprint: fp });
    expect(joined.status).toBe(200);
    const socket = await connect(upper, joined.body.session_token);
    socket.send({ message: "parent" });
    const [parent] = await socket.waitForMessages(1);
    socket.send({ message: "child", reply_to_id: parent!.id });
    const [, child] = await socket.waitForMessages(2);
    expect(child).toMatchObject({ reply_to: parent!.id, reply_to_message: { id: parent!.id, username: "upper_case", content: "parent", is_from_host: false } });
    await settled(room.code);
    const page = await anon("GET", `/api/chats/${upper}/messages/`);
    expect(page.body.messages.map((m: any) => m.reply_to)).toEqual([null, parent!.id]);
    socket.close();
  });

  it("shows the back room in the original's shapes; a seat still needs a completed payment", async () => {
    const reg = await api("POST", "/api/auth/register/", { body: { email: `${unique("b")}@example.com`, password: "sturdy-pass-42", reserved_username: unique("bk_") } });
    const host = client(reg.body.token);
    const code = (await host("POST", "/api/chats/create/", { name: "Back room", access_code: "" })).body.code as string;
    const hostSession = (await host("POST", `/api/chats/${code}/join/`, { username: reg.body.user.reserved_username })).body.session_token;
    const opened = await api("POST", `/api/chats/${code}/backroom/`, { body: { session_token: hostSession, enabled: true, price_cents: 300, seat_limit: 2 } });
    expect(opened.status).toBe(200);
    expect((await host("GET", `/api/chats/${code}/`)).body.has_back_room).toBe(true);

    // BackRoomJoinModal / BackRoomView read these.
    const info = await client()("GET", `/api/chats/${code}/backroom/`);
    expect(info.body).toMatchObject({
      id: uuid,
      chat_room: info.body.id,
      price_per_seat: "3.00",
      max_seats: 2,
      seats_occupied: 0,
      seats_available: 2,
      is_full: false,
      is_active: true,
      created_at: isoTime,
    });

    // The original client's join sends `{username}` and no room session: it cannot pay, so it gets a reason to show.
    const fp = unique("fp");
    const guest = (await client()("POST", `/api/chats/${code}/join/`, { username: "bk_guest", fingerprint: fp })).body;
    expectDetail(await client()("POST", `/api/chats/${code}/backroom/join/`, { username: "bk_guest" }), 401);
    expect((await client()("GET", `/api/chats/${code}/backroom/`)).body.seats_occupied).toBe(0);

    // Paid through this API's payment step, the seat shows in the original's members list and counts.
    const paid = await api("POST", `/api/chats/${code}/backroom/join/`, { body: { session_token: guest.session_token }, headers: { "Idempotency-Key": unique("k") } });
    expect(paid.body.transaction).toMatchObject({ status: "completed" });
    const members = await api("GET", `/api/chats/${code}/backroom/members/`, { headers: { "X-Session-Token": hostSession } });
    expect(members.body).toEqual([{ id: uuid, username: "bk_guest", username_is_reserved: false, amount_paid: "3.00", joined_at: isoTime, is_active: true }]);
    expect((await client()("GET", `/api/chats/${code}/backroom/`)).body).toMatchObject({ seats_occupied: 1, seats_available: 1, is_full: false });

    // BackRoomView's send: `{username, content, reply_to}` on the back room's own path.
    const first = await api("POST", `/api/chats/${code}/backroom/messages/send/`, { body: { username: "bk_guest", content: "psst", session_token: guest.session_token } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ channel: "backroom", content: "psst", reply_to: null });
    const reply = await api("POST", `/api/chats/${code}/backroom/messages/send/`, {
      body: { username: reg.body.user.reserved_username, content: "hi back", reply_to: first.body.id, session_token: hostSession },
    });
    expect(reply.body).toMatchObject({ channel: "backroom", reply_to: first.body.id, reply_to_message: { id: first.body.id, content: "psst" } });

    // Not a member: no members list, no back-room sends, and nothing stored.
    const outsider = (await client()("POST", `/api/chats/${code}/join/`, { username: "bk_outsider", fingerprint: unique("fp") })).body;
    const listed = await api("GET", `/api/chats/${code}/backroom/members/`, { headers: { "X-Session-Token": outsider.session_token } });
    expectDetail(listed, 403);
    expect(listed.body.code).toBe("NOT_BACKROOM_MEMBER");
    const refused = await api("POST", `/api/chats/${code}/backroom/messages/send/`, { body: { content: "let me in", session_token: outsider.session_token } });
    expectDetail(refused, 403);
    expectDetail(await api("GET", `/api/chats/${code}/backroom/members/`), 401);
    await settled(code);
    const history = await api("GET", `/api/chats/${code}/backroom/messages/`, { headers: { "X-Session-Token": hostSession } });
    expect(history.body.messages.map((m: any) => m.content)).toEqual(["psst", "hi back"]);
  });

  it("reads a private room's history with the account token of a logged-in member, and only then", async () => {
    const newAccount = async () => {
      const reg = await api("POST", "/api/auth/register/", { body: { email: `${unique("p")}@example.com`, password: "sturdy-pass-42", reserved_username: unique("pv_") } });
      return { token: reg.body.token as string, name: reg.body.user.reserved_username as string };
    };
    const hostAccount = await newAccount();
    const host = client(hostAccount.token);
    const code = (await host("POST", "/api/chats/create/", { name: "Private", access_mode: "private", access_code: "opensesame" })).body.code as string;
    const hostSession = (await host("POST", `/api/chats/${code}/join/`, { username: hostAccount.name, access_code: "opensesame" })).body.session_token;
    await api("POST", `/api/chats/${code}/messages/send/`, { body: { message: "members only", session_token: hostSession } });
    await settled(code);

    const memberAccount = await newAccount();
    const member = client(memberAccount.token);
    const joined = (await member("POST", `/api/chats/${code}/join/`, { username: "pv_member", access_code: "opensesame" })).body;
    // messageApi.getMessages sends only `Authorization: Token …`.
    const page = await member("GET", `/api/chats/${code}/messages/`);
    expect(page.status).toBe(200);
    expect(page.body.messages.map((m: any) => m.content)).toEqual(["members only"]);

    // Not joined, anonymous, or with a bad token: refused, nothing shown.
    const stranger = await client((await newAccount()).token)("GET", `/api/chats/${code}/messages/`);
    expectDetail(stranger, 401);
    expect(stranger.body.code).toBe("SESSION_REQUIRED");
    expectDetail(await client()("GET", `/api/chats/${code}/messages/`), 401);
    expectDetail(await client("not-a-token")("GET", `/api/chats/${code}/messages/`), 401);
    // A ban covers the account's participation; logging out ends the account's reads.
    const banned = await api("POST", `/api/chats/${code}/bans/`, { body: { username: "pv_member" }, headers: { "X-Session-Token": hostSession } });
    expect(banned.status).toBe(201);
    const refused = await member("GET", `/api/chats/${code}/messages/`);
    expectDetail(refused, 403);
    expect(refused.body.code).toBe("BANNED");
    await api("POST", `/api/chats/${code}/bans/${banned.body.ban.id}/unban/`, { body: {}, headers: { "X-Session-Token": hostSession } });
    expect((await member("GET", `/api/chats/${code}/messages/`)).status).toBe(200);
    expect((await member("POST", "/api/auth/logout/")).status).toBe(204);
    expectDetail(await member("GET", `/api/chats/${code}/messages/`), 401);
    expect(joined.session_token).toEqual(expect.any(String));
  });

  it("refuses bad input with a `detail` the client can show", async () => {
    const anon = client();
    // A forged Token, an expired one, and a malformed scheme: 401 with detail.
    const forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    expectDetail(await client(forged)("GET", "/api/auth/me/"), 401);
    expectDetail(await api("GET", "/api/auth/me/", { headers: { Authorization: "Token" } }), 401);
    expectDetail(await api("GET", "/api/auth/me/", { headers: { Authorization: "Basic dXNlcjpwYXNz" } }), 401);
    const reg = await anon("POST", "/api/auth/register/", { email: `${unique("x")}@example.com`, password: "sturdy-pass-42" });
    const token = reg.body.token as string;
    expect((await client(token)("POST", "/api/auth/logout/")).status).toBe(204);
    expectDetail(await client(token)("GET", "/api/auth/me/"), 401);

    // A code of the original format that names no room: 404 with detail.
    expectDetail(await anon("GET", "/api/chats/ZCMLY634/"), 404);
    expectDetail(await anon("GET", "/api/chats/ZCMLY634/my-participation/?fingerprint=fp"), 404);
    expectDetail(await anon("POST", "/api/chats/ZCMLY634/suggest-username/", {}), 404);

    // History cursors: malformed times are a clear 400; nothing else is accepted.
    const live = (await client((await anon("POST", "/api/auth/register/", { email: `${unique("y")}@example.com`, password: "sturdy-pass-42" })).body.token)(
      "POST",
      "/api/chats/create/",
      { name: "Cursor room", access_code: "" },
    )).body.code as string;
    // A logged-out Token cannot join (the client would otherwise join anonymously by mistake).
    expectDetail(await client(token)("POST", `/api/chats/${live}/join/`, { username: "any_name", fingerprint: "fp" }), 401);
    for (const bad of ["yesterday", "2024-02-30T00:00:00Z", "1e9", "-1", "2024-01-01T00:00:00", "12:00"]) {
      const res = await anon("GET", `/api/chats/${live}/messages/?before=${encodeURIComponent(bad)}`);
      expectDetail(res, 400);
      expect(res.body.code, bad).toBe("INVALID_CURSOR");
    }

    // Create: an empty access code is "none" only for a public room; a media flag must be a boolean.
    const hostToken = (await anon("POST", "/api/auth/register/", { email: `${unique("z")}@example.com`, password: "sturdy-pass-42" })).body.token;
    const host = client(hostToken);
    expectDetail(await host("POST", "/api/chats/create/", { name: "Private", access_mode: "private", access_code: "" }), 400);
    expectDetail(await host("POST", "/api/chats/create/", { name: "Flags", access_code: "", voice_enabled: "yes" }), 400);

    // A REST send with neither text field, or with two different ones, stores nothing.
    const joined = (await anon("POST", `/api/chats/${live}/join/`, { username: "sender_one", fingerprint: unique("fp") })).body;
    for (const body of [{ username: "sender_one" }, { message: "a", content: "b" }, { content: 5 }]) {
      expectDetail(await anon("POST", `/api/chats/${live}/messages/send/`, { ...body, session_token: joined.session_token }), 400);
    }
    // Its REST fallback before joining sends `session_token: null`: join first, it is told.
    const early = await anon("POST", `/api/chats/${live}/messages/send/`, { username: "sender_one", content: "too early", session_token: null });
    expectDetail(early, 401);
    expect(early.body.code).toBe("SESSION_REQUIRED");
    expect((await anon("GET", `/api/chats/${live}/messages/`)).body.messages).toEqual([]);
    // The visitor lookups: a missing or oversized fingerprint, a fingerprint that is not a string.
    for (const path of [`/api/chats/${live}/fingerprint-username/`, `/api/chats/${live}/fingerprint-username/?fingerprint=${"f".repeat(129)}`]) {
      expectDetail(await anon("GET", path), 400);
    }
    expectDetail(await anon("POST", `/api/chats/${live}/fingerprint-username/`, { fingerprint: 42 }), 400);
    expectDetail(await anon("GET", `/api/chats/${live}/fingerprint-username/?fingerprint=a%00b`), 400);
    // check-rate-limit counts by address: without one it cannot answer.
    const noIp = await api("GET", `/api/chats/${live}/check-rate-limit/?fingerprint=x`, { ip: null });
    expectDetail(noIp, 400);
    expect(noIp.body.code).toBe("CLIENT_IP_REQUIRED");
    // Suggestions are limited per address (20 an hour): the 21st is 429 with Retry-After.
    const ip = randomIp();
    await withinOneRateWindow(HOUR, 10_000);
    for (let i = 0; i < 20; i++) expect((await anon("POST", `/api/chats/${live}/suggest-username/`, {}, ip)).status).toBe(200);
    const flooded = await anon("POST", `/api/chats/${live}/suggest-username/`, {}, ip);
    expectDetail(flooded, 429);
    expect(Number(flooded.headers.get("Retry-After"))).toBeGreaterThan(0);
    // The back room's send path: a reply_to that is not a message id.
    expectDetail(await anon("POST", `/api/chats/${live}/backroom/messages/send/`, { content: "x", reply_to: "nope", session_token: joined.session_token }), 400);
    // Check-username without a name, and a name that breaks the rules.
    expectDetail(await anon("GET", "/api/auth/check-username/"), 400);
    expect((await anon("GET", "/api/auth/check-username/?username=ab")).body).toMatchObject({ available: false, reason: "too_short" });
  });
});
