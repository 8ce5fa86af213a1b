// Identity rules through the public API: dual sessions, usernames, the
// per-IP limits, and what a missing or forged address gets.
import { describe, expect, it } from "vitest";
import { textProblem } from "../src/domain/text";
import { signUserToken } from "../src/domain/tokens";
import { api, connect, join, newRoom, register, settled, unique, joinRaw, myParticipation } from "./support/api";
import { TEST_JWT_SECRET } from "./support/test-secret";

describe("dual sessions", () => {
  it("lets an anonymous robert and a registered Robert share a room, the badge only on the verified one", async () => {
    const { room } = await newRoom();
    const fp = unique("fp");
    const anon = await join(room.code, "robert", { fingerprint: fp });
    expect(anon).toMatchObject({ username: "robert", is_host: false, username_is_reserved: false });

    const reservedName = `Robert${unique().slice(0, 6)}`;
    const robert = await register(reservedName);
    // Same browser, now logged in: a second participation, not the anonymous one.
    const verified = await join(room.code, reservedName, { token: robert.token, fingerprint: fp });
    expect(verified.username).toBe(reservedName);
    expect(verified.username_is_reserved).toBe(true);
    expect(verified.participation_id).not.toBe(anon.participation_id);

    // Names are unique per kind, case-insensitively: anonymous "ROBERT" is taken, the logged-in namespace is separate.
    const clash = await joinRaw(room.code, { username: "ROBERT", fingerprint: unique("fp") });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe("USERNAME_TAKEN");
    const anonTwin = await join(room.code, reservedName.toLowerCase());
    expect(anonTwin.username_is_reserved).toBe(false);

    const a = await connect(room.code, anon.session_token);
    a.send({ message: "from the anonymous one", client_id: "a1" });
    await a.until("own copy", () => a.messages().some((m) => m.client_id === "a1"));
    const sent = await api("POST", `/api/chats/${room.code}/messages/send/`, {
      body: { message: "from the verified one", session_token: verified.session_token },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.username_is_reserved).toBe(true);
    await settled(room.code);
    const history = (await api("GET", `/api/chats/${room.code}/messages/`)).body.messages;
    const byContent = Object.fromEntries(history.map((m: any) => [m.content, m]));
    expect(byContent["from the anonymous one"]).toMatchObject({ username: "robert", username_is_reserved: false, user_id: null });
    expect(byContent["from the verified one"]).toMatchObject({
      username: reservedName,
      username_is_reserved: true,
      user_id: robert.user.id,
    });
    a.close();
  });

  it("answers my-participation by fingerprint or by account, never falling back from an account to a fingerprint", async () => {
    const { room } = await newRoom();
    const fp = unique("fp");
    const anon = await join(room.code, "casual_one", { fingerprint: fp });
    const byFp = await myParticipation(room.code, { fingerprint: fp });
    expect(byFp.status).toBe(200);
    expect(byFp.body).toMatchObject({
      participation_id: anon.participation_id,
      username: "casual_one",
      is_anonymous: true,
      is_host: false,
      username_is_reserved: false,
      ban: null,
    });

    const user = await register();
    const loggedOut = await myParticipation(room.code, { fingerprint: fp, token: user.token });
    expect(loggedOut.status).toBe(200);
    expect(loggedOut.body).toEqual({ has_joined: false });

    const mine = await join(room.code, "account_nm", { token: user.token });
    const byAccount = await myParticipation(room.code, { fingerprint: fp, token: user.token });
    expect(byAccount.body).toMatchObject({ participation_id: mine.participation_id, username: "account_nm", is_anonymous: false });

    expect((await myParticipation(room.code, { fingerprint: unique("fp") })).body).toEqual({ has_joined: false });
    const noIdentity = await myParticipation(room.code);
    expect(noIdentity.status).toBe(400);
    expect(noIdentity.body.code).toBe("IDENTITY_REQUIRED");
    expect((await myParticipation("nosuchrm", { fingerprint: fp })).status).toBe(404);
  });

  it("gives a returning fingerprint or account its locked username, whatever name it asks for", async () => {
    const { room } = await newRoom();
    const fp = unique("fp");
    const first = await join(room.code, "first_name", { fingerprint: fp });
    const again = await join(room.code, "other_name", { fingerprint: fp });
    expect(again.username).toBe("first_name");
    expect(again.participation_id).toBe(first.participation_id);

    const user = await register();
    const one = await join(room.code, "logged_name", { token: user.token });
    const two = await join(room.code, "switched_nm", { token: user.token });
    expect(two.username).toBe("logged_name");
    expect(two.participation_id).toBe(one.participation_id);
    // The name it tried was never taken.
    const v = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: "switched_nm", fingerprint: unique("fp") } });
    expect(v.body).toMatchObject({ available: true });
  });

  it("keeps logged-in names unique among logged-in participants and keeps reserved names for their owners", async () => {
    const { room } = await newRoom();
    const alice = await register();
    const bob = await register();
    await join(room.code, "shared_nm", { token: alice.token });
    const taken = await joinRaw(room.code, { username: "SHARED_NM" }, { token: bob.token });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe("USERNAME_TAKEN");
    // The anonymous namespace is separate.
    expect((await join(room.code, "shared_nm")).username).toBe("shared_nm");
    // Bob may not chat under the name Alice reserved.
    const impostor = await joinRaw(room.code, { username: alice.user.reserved_username.toUpperCase() }, { token: bob.token });
    expect(impostor.status).toBe(409);
    expect(impostor.body.code).toBe("USERNAME_RESERVED");
    expect((await myParticipation(room.code, { token: bob.token })).body).toEqual({ has_joined: false });
  });
});

describe("usernames", () => {
  const bad = [
    "abcd", // 4
    "a".repeat(16),
    "has space",
    "emoji😀name",
    "Ꭱobert", // Cherokee letter
    "rоbert", // Cyrillic o
    " robert",
    "robert ",
    "'; DROP TABLE users;--",
    "<b>bold</b>",
    "robert\u0000",
    "",
  ];

  it("refuses names that break the rules, on join and on registration, and stores nothing", async () => {
    const { room } = await newRoom();
    for (const username of bad) {
      const fp = unique("fp");
      const res = await joinRaw(room.code, { username, fingerprint: fp });
      expect(res.status, username).toBe(400);
      // A control character is refused before any field rule, as in every other text.
      const code = textProblem(username) ? "INVALID_CHARACTERS" : "INVALID_USERNAME";
      expect(res.body.code, username).toBe(code);
      expect(typeof res.body.error).toBe("string");
      expect((await myParticipation(room.code, { fingerprint: fp })).body, username).toEqual({ has_joined: false });

      // An empty reserved name is no reserved name at registration (optional, as in the original ChatPop).
      if (username === "") continue;
      const reg = await api("POST", "/api/auth/register/", {
        body: { email: `${unique("e")}@example.com`, password: "long enough pw", reserved_username: username },
      });
      expect(reg.status, username).toBe(400);
      expect(reg.body.code, username).toBe(code);
    }
    for (const username of ["abcde", "a".repeat(15), "Under_Score_9"]) {
      expect((await join(room.code, username)).username).toBe(username);
    }
  });

  it("keeps reserved usernames unique across accounts, case-insensitively", async () => {
    const name = `Casey${unique().slice(0, 6)}`;
    await register(name);
    const again = await api("POST", "/api/auth/register/", {
      body: { email: `${unique("e")}@example.com`, password: "long enough pw", reserved_username: name.toUpperCase() },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("USERNAME_TAKEN");
  });

  it("answers validate-username with availability and a reason, from the caller's point of view", async () => {
    const { room } = await newRoom();
    const fp = unique("fp");
    await join(room.code, "taken_name", { fingerprint: fp });
    const check = (username: unknown, opts: { fingerprint?: string; token?: string } = {}) =>
      api("POST", `/api/chats/${room.code}/validate-username/`, {
        body: { username, fingerprint: opts.fingerprint },
        token: opts.token,
      });

    expect((await check("free_name")).body).toMatchObject({ available: true });
    const taken = await check("TAKEN_NAME", { fingerprint: unique("fp") });
    expect(taken.body.available).toBe(false);
    expect(taken.body.reason).toMatch(/taken/);
    // Its owner may of course keep it; asking for another name says why not.
    expect((await check("taken_name", { fingerprint: fp })).body).toMatchObject({ available: true });
    const switching = await check("new_name", { fingerprint: fp });
    expect(switching.body.available).toBe(false);
    expect(switching.body.reason).toMatch(/already joined this room as taken_name/);
    // A logged-in caller is checked among logged-in participants.
    const user = await register();
    expect((await check("taken_name", { token: user.token })).body).toMatchObject({ available: true });
    for (const username of ["abcd", "a".repeat(16), "has space", " padded_nm"]) {
      const res = await check(username);
      expect(res.status).toBe(200);
      expect(res.body.available, username).toBe(false);
      expect(res.body.reason.length).toBeGreaterThan(0);
    }
    expect((await check(12345)).status).toBe(400);
  });
});

describe("joining needs an identity", () => {
  it("refuses a join with neither fingerprint nor bearer, and bearer tokens of logged-out or unknown users", async () => {
    const { room } = await newRoom();
    const none = await joinRaw(room.code, { username: "nobody_here" });
    expect(none.status).toBe(400);
    expect(none.body.code).toBe("IDENTITY_REQUIRED");

    const user = await register();
    expect((await api("POST", "/api/auth/logout/", { token: user.token })).status).toBe(204);
    const loggedOut = await joinRaw(room.code, { username: "logged_out", fingerprint: unique("fp") }, { token: user.token });
    expect(loggedOut.status).toBe(401);
    expect(loggedOut.body.code).toBe("INVALID_TOKEN");

    // A well-signed token for an account that does not exist (deleted) is refused too, never treated as anonymous.
    const ghost = await signUserToken({ userId: crypto.randomUUID(), authSessionId: crypto.randomUUID() }, TEST_JWT_SECRET);
    const deleted = await joinRaw(room.code, { username: "ghost_user", fingerprint: unique("fp") }, { token: ghost });
    expect(deleted.status).toBe(401);
    expect(deleted.body.code).toBe("INVALID_TOKEN");
    const validate = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: "ghost_user" }, token: ghost });
    expect(validate.status).toBe(401);
  });
});
