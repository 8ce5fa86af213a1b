import { describe, expect, it } from "vitest";
import { api, connect, createRoom, join, newRoom, register, unique } from "./support/api";

describe("creating rooms", () => {
  it("creates a room with a fresh URL-safe code and the caller as host", async () => {
    const host = await register();
    const res = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "  Friday night  ", description: "bring snacks" } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      code: expect.stringMatching(/^[a-z0-9]{8}$/),
      name: "Friday night",
      description: "bring snacks",
      access_mode: "public",
      host: { id: host.user.id, reserved_username: host.user.reserved_username },
      url: `/chat/${res.body.code}`,
      voice_enabled: false,
      video_enabled: false,
      photo_enabled: false,
      default_theme: "purple-dream",
      theme_locked: false,
      message_count: 0,
      has_back_room: false,
      is_active: true,
      created_at: expect.any(String),
      ws_url: `ws://chatpop.test/ws/chat/${res.body.code}/`,
    });
    const details = await api("GET", `/api/chats/${res.body.code}/`);
    expect(details.status).toBe(200);
    expect(details.body).toEqual(res.body);
    const again = await createRoom(host);
    expect(again.code).not.toBe(res.body.code);
  });

  it("needs an account, and refuses bad rooms", async () => {
    const host = await register();
    expect((await api("POST", "/api/chats/create/", { body: { name: "x" } })).body.code).toBe("AUTH_REQUIRED");
    const cases: Record<string, unknown>[] = [
      {},
      { name: "" },
      { name: "   " },
      { name: "x".repeat(101) },
      { name: 7 },
      { name: "ok", access_mode: "secret" },
      { name: "ok", access_mode: "private" },
      { name: "ok", access_mode: "private", access_code: "abcde" },
      { name: "ok", description: "d".repeat(1001) },
    ];
    for (const body of cases) {
      const res = await api("POST", "/api/chats/create/", { token: host.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe("VALIDATION_ERROR");
    }
  });

  it("answers 404 with a JSON error for unknown codes and routes", async () => {
    const res = await api("GET", "/api/chats/zzzzzzzz/");
    expect(res).toMatchObject({ status: 404, body: { code: "ROOM_NOT_FOUND" } });
    const route = await api("GET", "/api/nowhere/");
    expect(route).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
  });
});

describe("joining", () => {
  it("gives an anonymous visitor a session token, and the same username when it returns", async () => {
    const { room } = await newRoom();
    const fingerprint = unique("fp");
    const first = await join(room.code, "guest_one", { fingerprint });
    expect(first).toMatchObject({ username: "guest_one", is_host: false, username_is_reserved: false });
    expect(first.participation_id).toMatch(/^[0-9a-f-]{36}$/);
    const again = await join(room.code, "other_name", { fingerprint });
    expect(again.username).toBe("guest_one");
    expect(again.participation_id).toBe(first.participation_id);
  });

  it("makes the room's creator the host, whose messages are host messages", async () => {
    const { host, room } = await newRoom();
    const joined = await join(room.code, host.user.reserved_username, { token: host.token });
    expect(joined).toMatchObject({ is_host: true, username_is_reserved: true, username: host.user.reserved_username });
    const socket = await connect(room.code, joined.session_token);
    socket.send({ message: "welcome" });
    const [m] = await socket.waitForMessages(1);
    expect(m).toMatchObject({ message_type: "host", is_from_host: true, username_is_reserved: true, user_id: host.user.id });
    socket.close();
  });

  it("refuses bad joins and creates no participation", async () => {
    const { room } = await newRoom();
    const fingerprint = unique("fp");
    const cases: [Record<string, unknown>, number, string][] = [
      [{ username: "nobody_here" }, 400, "IDENTITY_REQUIRED"],
      [{ username: "abcd", fingerprint }, 400, "INVALID_USERNAME"],
      [{ username: "a".repeat(16), fingerprint }, 400, "INVALID_USERNAME"],
      [{ username: "two words", fingerprint }, 400, "INVALID_USERNAME"],
      [{ username: "emoji_😀", fingerprint }, 400, "INVALID_USERNAME"],
      [{ username: 12345, fingerprint }, 400, "VALIDATION_ERROR"],
      [{ username: "valid_name", fingerprint: "" }, 400, "VALIDATION_ERROR"],
      [{ username: "valid_name", fingerprint: 5 }, 400, "VALIDATION_ERROR"],
    ];
    for (const [body, status, code] of cases) {
      const res = await api("POST", `/api/chats/${room.code}/join/`, { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code).toBe(code);
    }
    // The fingerprint was never bound: a valid join now gets the name it asks for.
    expect((await join(room.code, "finally_ok", { fingerprint })).username).toBe("finally_ok");
    const unknown = await api("POST", "/api/chats/zzzzzzzz/join/", { body: { username: "someone", fingerprint } });
    expect(unknown).toMatchObject({ status: 404, body: { code: "ROOM_NOT_FOUND" } });
    const badBearer = await api("POST", `/api/chats/${room.code}/join/`, { token: "junk", body: { username: "someone", fingerprint } });
    expect(badBearer).toMatchObject({ status: 401, body: { code: "INVALID_TOKEN" } });
  });

  it("refuses a username already taken in the room, whatever its case", async () => {
    const { room } = await newRoom();
    await join(room.code, "Taken_Name");
    const res = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "taken_name", fingerprint: unique("fp") } });
    expect(res).toMatchObject({ status: 409, body: { code: "USERNAME_TAKEN" } });
    const check = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: "TAKEN_NAME" } });
    expect(check.body).toMatchObject({ available: false, reason: "That username is taken in this room." });
    const free = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: "free_name" } });
    expect(free.body).toMatchObject({ available: true });
    const bad = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: "no" } });
    expect(bad.body).toMatchObject({ available: false, reason: expect.stringContaining("at least 5") });
  });

  it("lets only visitors with the access code into a private room, and never returns the code", async () => {
    const host = await register();
    const room = await createRoom(host, { access_mode: "private", access_code: "open-sesame" });
    expect(room.access_mode).toBe("private");
    expect(JSON.stringify(room)).not.toContain("open-sesame");
    const details = await api("GET", `/api/chats/${room.code}/`);
    expect(JSON.stringify(details.body)).not.toContain("sesame");
    // A 10 KB code is just as wrong: refused the same way, without hashing it.
    for (const access_code of [undefined, "", "wrong", "open-sesame ", "OPEN-SESAME", "x".repeat(256), "x".repeat(10_000)]) {
      const res = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "sneaky_one", fingerprint: unique("fp"), access_code } });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("ACCESS_CODE_INVALID");
    }
    const member = await join(room.code, "invited_one", { access_code: "open-sesame" });
    // History of a private room needs a session of that room.
    expect((await api("GET", `/api/chats/${room.code}/messages/`)).body.code).toBe("SESSION_REQUIRED");
    const other = await newRoom();
    const foreign = (await join(other.room.code)).session_token;
    expect((await api("GET", `/api/chats/${room.code}/messages/?session_token=${foreign}`)).status).toBe(403);
    const ok = await api("GET", `/api/chats/${room.code}/messages/`, { headers: { "X-Session-Token": member.session_token } });
    expect(ok.status).toBe(200);
  });
});
