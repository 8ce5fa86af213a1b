// Bans through the public API: kicked at once, rejoin refused, unbans, expiry,
// what they reach, and what bad ban requests get.
import { describe, expect, it } from "vitest";
import { CLOSE_BANNED } from "../src/protocol";
import { api, connect, join, newRoom, randomIp, register, rejectedCloseCode, unique, type Account, settled } from "./support/api";
import { ban, history, hostedRoom, listBans, sendRest, unban, openBackroom, buySeat } from "./support/room-actions";
import { holdRoomClock } from "./support/room-clock";

describe("bans", () => {
  it("ban → kicked frame and close 4403 → rejoin refused → unban → rejoin allowed", async () => {
    const { room, hostSession } = await hostedRoom();
    const fp = unique("fp");
    const troll = await join(room.code, "troll_one", { fingerprint: fp });
    const member = await join(room.code, "nice_member");
    const trollSocket = await connect(room.code, troll.session_token);
    const memberSocket = await connect(room.code, member.session_token);

    const res = await ban(room.code, hostSession.session_token, { username: "TROLL_ONE", reason: "spam", announce: true });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ participations_covered: 1, sockets_closed: 1 });
    expect(res.body.ban).toMatchObject({ username: "TROLL_ONE", reason: "spam", expires_at: null, active: true });

    await trollSocket.until("the kicked frame", () => trollSocket.frames.some((f) => f.type === "kicked"));
    const kicked = trollSocket.frames.find((f) => f.type === "kicked")!;
    expect(kicked.message).toMatch(/removed/);
    expect((await trollSocket.waitForClose()).code).toBe(CLOSE_BANNED);
    // The room is told, as the host chose.
    const [announcement] = await memberSocket.waitForMessages(1);
    expect(announcement).toMatchObject({ message_type: "system", content: "troll_one was removed from the room.", is_from_host: false });
    expect(memberSocket.closed).toBeNull();

    // The old session token no longer works anywhere.
    const restSend = await sendRest(room.code, troll.session_token, "let me back");
    expect(restSend.status).toBe(403);
    expect(restSend.body.code).toBe("BANNED");
    expect(await rejectedCloseCode(room.code, `?session_token=${troll.session_token}`)).toBe(CLOSE_BANNED);
    const rejoin = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "troll_one", fingerprint: fp } });
    expect(rejoin.status).toBe(403);
    expect(rejoin.body.code).toBe("BANNED");
    expect(rejoin.body.details).toEqual({ reason: "spam", expires_at: null });
    // Nor can someone else take the banned name.
    const sameName = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "Troll_One", fingerprint: unique("fp") } });
    expect(sameName.status).toBe(403);
    const mine = await api("GET", `/api/chats/${room.code}/my-participation/?fingerprint=${fp}`);
    expect(mine.body.ban).toEqual({ reason: "spam", expires_at: null });
    const { messages } = await history(room.code);
    expect(messages.map((m: any) => m.content)).toEqual(["troll_one was removed from the room."]);

    const listed = (await listBans(room.code, hostSession.session_token)).body.bans;
    expect(listed).toHaveLength(1);
    expect(listed[0].id).toBe(res.body.ban.id);

    const lifted = await unban(room.code, hostSession.session_token, res.body.ban.id);
    expect(lifted.status).toBe(200);
    expect(lifted.body.ban.active).toBe(false);
    expect((await listBans(room.code, hostSession.session_token)).body.bans[0].active).toBe(false);
    const back = await join(room.code, "anything_nm", { fingerprint: fp });
    expect(back.username).toBe("troll_one");
    const socket = await connect(room.code, back.session_token);
    socket.send({ message: "sorry", client_id: "s1" });
    await socket.until("own copy", () => socket.messages().some((m) => m.client_id === "s1"));
    // Unbanning twice finds nothing to lift.
    expect((await unban(room.code, hostSession.session_token, res.body.ban.id)).status).toBe(404);
    memberSocket.close();
    socket.close();
  });

  it("bans by fingerprint and by IP reach new names from the same device or network", async () => {
    const { room, hostSession } = await hostedRoom();
    const fp = unique("fp");
    const ip = randomIp();
    await join(room.code, "device_one", { fingerprint: fp, ip });
    const byFp = await ban(room.code, hostSession.session_token, { fingerprint: fp });
    expect(byFp.body.participations_covered).toBe(1);
    const sameDevice = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "device_two", fingerprint: fp } });
    expect(sameDevice.status).toBe(403);

    const byIp = await ban(room.code, hostSession.session_token, { ip_address: ip, reason: "evading" });
    expect(byIp.status).toBe(201);
    const sameNetwork = await api("POST", `/api/chats/${room.code}/join/`, {
      ip,
      body: { username: "device_three", fingerprint: unique("fp") },
    });
    expect(sameNetwork.status).toBe(403);
    expect(sameNetwork.body.details.reason).toBe("evading");
    // Logged in from that network, too.
    const user = await register();
    const loggedIn = await api("POST", `/api/chats/${room.code}/join/`, { ip, token: user.token, body: { username: "acct_user" } });
    expect(loggedIn.status).toBe(403);
    // Another network is fine.
    expect((await join(room.code, "device_four")).username).toBe("device_four");
  });

  it("a username ban does not reach the verified owner of that name; a user_id ban does", async () => {
    const { room, hostSession } = await hostedRoom();
    const name = `Robert${unique().slice(0, 6)}`;
    const robert: Account = await register(name);
    const verified = await join(room.code, name, { token: robert.token });
    const impostor = await join(room.code, name.toLowerCase());
    const v = await connect(room.code, verified.session_token);
    const i = await connect(room.code, impostor.session_token);

    const res = await ban(room.code, hostSession.session_token, { username: name.toLowerCase() });
    expect(res.body.participations_covered).toBe(1);
    expect((await i.waitForClose()).code).toBe(CLOSE_BANNED);
    v.send({ message: "still here", client_id: "v1" });
    await v.until("own copy", () => v.messages().some((m) => m.client_id === "v1"));
    expect(v.closed).toBeNull();

    const byUser = await ban(room.code, hostSession.session_token, { user_id: robert.user.id });
    expect(byUser.body.participations_covered).toBe(1);
    expect((await v.waitForClose()).code).toBe(CLOSE_BANNED);
  });

  it("an expired ban no longer applies", async () => {
    const { room, hostSession } = await hostedRoom();
    const fp = unique("fp");
    const shortBan = await join(room.code, "brief_ban", { fingerprint: fp });
    const res = await ban(room.code, hostSession.session_token, { username: "brief_ban", duration_seconds: 1 });
    expect(res.status).toBe(201);
    const expiresAt = Date.parse(res.body.ban.expires_at);
    expect(expiresAt - Date.now()).toBeGreaterThan(0);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(1_000);
    const clock = await holdRoomClock(room.code);
    expect((await sendRest(room.code, shortBan.session_token, "now?")).status).toBe(403);
    // The room judges by its own clock: moved past the end, it takes the send at once.
    clock.advance(1_500);
    expect((await sendRest(room.code, shortBan.session_token, "and now?")).status).toBe(201);
    // Postgres judges the join and the host's list by its clock: those see the ban end in real time.
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 200));
    expect((await join(room.code, "x_ignored", { fingerprint: fp })).username).toBe("brief_ban");
    expect((await listBans(room.code, hostSession.session_token)).body.bans[0].active).toBe(false);
  });

  it("never bans the host, and refuses malformed bans without storing them", async () => {
    const { host, room, hostSession } = await hostedRoom();
    const guest = await join(room.code, "bystander");
    const refusals: [Record<string, unknown>, number, string][] = [
      [{ username: host.user.reserved_username }, 400, "CANNOT_BAN_HOST"],
      [{ username: host.user.reserved_username.toUpperCase() }, 400, "CANNOT_BAN_HOST"],
      [{ user_id: host.user.id }, 400, "CANNOT_BAN_HOST"],
      [{ username: "bystander", user_id: host.user.id }, 400, "CANNOT_BAN_HOST"],
      [{}, 400, "BAN_TARGET_REQUIRED"],
      [{ reason: "no target" }, 400, "BAN_TARGET_REQUIRED"],
      [{ username: "abc" }, 400, "INVALID_USERNAME"],
      [{ username: "'; DROP TABLE chat_bans;--" }, 400, "INVALID_USERNAME"],
      [{ ip_address: "300.1.1.1" }, 400, "INVALID_IP_ADDRESS"],
      [{ user_id: "not-a-uuid" }, 400, "VALIDATION_ERROR"],
      [{ username: "bystander", duration_seconds: 0 }, 400, "VALIDATION_ERROR"],
      [{ username: "bystander", duration_seconds: -5 }, 400, "VALIDATION_ERROR"],
      [{ username: "bystander", duration_seconds: "60" }, 400, "VALIDATION_ERROR"],
      [{ username: "bystander", duration_seconds: 1.5 }, 400, "VALIDATION_ERROR"],
      [{ username: "bystander", reason: "x".repeat(501) }, 400, "VALIDATION_ERROR"],
      [{ username: "bystander", announce: "yes" }, 400, "VALIDATION_ERROR"],
    ];
    for (const [body, status, code] of refusals) {
      const res = await ban(room.code, hostSession.session_token, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code, JSON.stringify(body)).toBe(code);
    }
    expect((await listBans(room.code, hostSession.session_token)).body.bans).toEqual([]);
    expect((await sendRest(room.code, hostSession.session_token, "still the host")).status).toBe(201);
    expect((await sendRest(room.code, guest.session_token, "still here")).status).toBe(201);
    expect((await unban(room.code, hostSession.session_token, "not-a-uuid")).status).toBe(404);
    const malformed = await api("POST", `/api/chats/${room.code}/bans/`, { rawBody: "{nope", headers: { "X-Session-Token": hostSession.session_token } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe("INVALID_JSON");
  });

  it("rolls back a ban that would reach the host through the name or network the host joined with", async () => {
    const { host, room } = await newRoom();
    const ip = randomIp();
    const hostSession = await join(room.code, "boss_alias", { token: host.token, ip });
    expect(hostSession.is_host).toBe(true);
    expect(hostSession.username_is_reserved).toBe(false);
    for (const body of [{ username: "boss_alias" }, { ip_address: ip }]) {
      const res = await ban(room.code, hostSession.session_token, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("CANNOT_BAN_HOST");
    }
    expect((await listBans(room.code, hostSession.session_token)).body.bans).toEqual([]);
    expect((await sendRest(room.code, hostSession.session_token, "still the host")).status).toBe(201);
  });
});

describe("a ban ends reading too, and is hard to dodge", () => {
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
