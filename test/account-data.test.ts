// An account's own data: export (GET /api/auth/me/export/), deletion (DELETE /api/auth/me/)
// through every store that names the person, and the retention job that clears old addresses.
import { env, createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { api, connect, connectResuming, join, newRoom, randomIp, redis, register, settled, unique } from "./support/api";
import { ban, history, hostedRoom, listBans, sendRest, unban } from "./support/room-actions";

const DAY = 86_400_000;
const deleteAccount = (token: string, body: unknown) => api("DELETE", "/api/auth/me/", { token, body });
const windowOf = async (code: string) => ((await redis().zrange<string[]>(`chat:${code}:messages`, 0, -1)) as string[]).map((m) => JSON.parse(m));

describe("account export", () => {
  it("returns everything stored about the account as JSON: account, logins, participations with fingerprint and address, messages, reactions", async () => {
    const me = await register();
    const { room } = await newRoom();
    const ip = randomIp();
    const joined = await join(room.code, me.user.reserved_username, { token: me.token, ip });
    const sent = await sendRest(room.code, joined.session_token, "exported words");
    await api("POST", `/api/chats/${room.code}/messages/${sent.body.id}/react/`, { body: { session_token: joined.session_token, emoji: "👍" } });
    await settled(room.code);

    const res = await api("GET", "/api/auth/me/export/", { token: me.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain(`chatpop-account-${me.user.id}.json`);
    expect(res.body.account).toMatchObject({ id: me.user.id, email: me.user.email, reserved_username: me.user.reserved_username });
    expect(res.body.logins).toHaveLength(1);
    expect(res.body.participations).toEqual([
      expect.objectContaining({ room: room.code, username: me.user.reserved_username, ip_address: ip, id: joined.participation_id }),
    ]);
    expect(res.body.messages.map((m: any) => [m.room, m.content])).toEqual([[room.code, "exported words"]]);
    expect(res.body.reactions).toEqual([expect.objectContaining({ message_id: sent.body.id, emoji: "👍" })]);
    expect(res.body.payments).toEqual([]);
    expect(res.body).not.toHaveProperty("password_hash");
    expect(JSON.stringify(res.body)).not.toMatch(/password|\$argon|pbkdf2/i);
  });

  it("needs a login, and is limited per account", async () => {
    expect((await api("GET", "/api/auth/me/export/")).status).toBe(401);
    const me = await register();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await api("GET", "/api/auth/me/export/", { token: me.token })).status);
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses[6]).toBe(429);
  });
});

describe("account deletion", () => {
  it("refuses a wrong or missing password and changes nothing", async () => {
    const me = await register();
    for (const body of [{ password: "not the password" }, {}, { password: "" }, { password: 42 }, { password: "x".repeat(200) }]) {
      const res = await deleteAccount(me.token, body);
      expect([400, 403], JSON.stringify(body)).toContain(res.status);
      expect(res.body.code).toMatch(/^(INVALID_CREDENTIALS|VALIDATION_ERROR)$/);
    }
    expect((await api("DELETE", "/api/auth/me/", { body: { password: me.password } })).status).toBe(401);
    expect((await api("GET", "/api/auth/me/", { token: me.token })).status).toBe(200);
    expect((await api("POST", "/api/auth/login/", { body: { email: me.user.email, password: me.password } })).status).toBe(200);
  });

  it("removes the person from Postgres, the room's log, the Redis window and every socket; messages stay under an anonymous name", async () => {
    const me = await register();
    const { room, hostSession } = await hostedRoom();
    const joined = await join(room.code, me.user.reserved_username, { token: me.token });
    const mine = await sendRest(room.code, joined.session_token, "my words stay");
    const reply = await api("POST", `/api/chats/${room.code}/messages/send/`, {
      body: { message: "a reply", reply_to_id: mine.body.id, session_token: hostSession.session_token },
    });
    const socket = await connect(room.code, joined.session_token);
    const watcher = await connect(room.code, hostSession.session_token);

    const res = await deleteAccount(me.token, { password: me.password });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: true, rooms_updated: 1, sockets_closed: 1 });
    await socket.until("closed", () => socket.closed !== null);
    expect(socket.closed!.code).toBe(4003);

    const anonymous = `deleted_${joined.participation_id.replace(/-/g, "").slice(0, 8)}`;
    // Postgres (history reads it), the window, and the room's own log (a resume reads it).
    const h = await history(room.code);
    const stored = h.messages.find((m: any) => m.id === mine.body.id);
    expect(stored).toMatchObject({ username: anonymous, user_id: null, user: null, username_is_reserved: false, content: "my words stay" });
    expect(h.messages.find((m: any) => m.id === reply.body.id).reply_to_message.username).toBe(anonymous);
    const cached = (await windowOf(room.code)).find((m) => m.id === mine.body.id);
    expect(cached).toMatchObject({ username: anonymous, user_id: null });
    const resumed = await connectResuming(room.code, hostSession.session_token, 0);
    await resumed.until("the backlog", () => resumed.messages().length >= 2);
    expect(resumed.messages().find((m) => m.id === mine.body.id)).toMatchObject({ username: anonymous, user_id: null });
    expect(JSON.stringify(resumed.messages())).not.toContain(me.user.reserved_username);
    expect(JSON.stringify(h)).not.toContain(me.user.id);
    resumed.close();
    watcher.close();

    // The login is gone, the email and the reserved name are free again.
    expect((await api("GET", "/api/auth/me/", { token: me.token })).status).toBe(401);
    expect((await api("POST", "/api/auth/login/", { body: { email: me.user.email, password: me.password } })).status).toBe(401);
    const again = await api("POST", "/api/auth/register/", { body: { email: me.user.email, password: me.password, reserved_username: me.user.reserved_username } });
    expect(again.status).toBe(201);
    // The room's copy of the participation no longer answers to the old name.
    const check = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: me.user.reserved_username } });
    expect(check.body.available).toBe(true);
  });

  it("keeps a hosted room open without naming its host", async () => {
    const host = await register();
    const created = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Stays open" } });
    const code = created.body.code;
    const guest = await join(code, unique("g_"));
    expect((await deleteAccount(host.token, { password: host.password })).status).toBe(200);
    const details = await api("GET", `/api/chats/${code}/`);
    expect(details.status).toBe(200);
    expect(details.body.host.reserved_username).toBeNull();
    expect(JSON.stringify(details.body)).not.toContain(host.user.reserved_username);
    expect((await join(code, unique("late_"))).session_token).toBeTruthy();
    expect((await sendRest(code, guest.session_token, "still here")).status).toBe(201);
  });

  it("keeps what a deleted payer paid in the host's earnings", async () => {
    const { host, room } = await hostedRoom();
    const payer = await register();
    const joined = await join(room.code, payer.user.reserved_username, { token: payer.token });
    const tip = await api("POST", `/api/chats/${room.code}/tip/`, {
      body: { session_token: joined.session_token, amount_cents: 300 },
      headers: { "Idempotency-Key": unique("k") },
    });
    expect(tip.status).toBe(200);
    expect((await deleteAccount(payer.token, { password: payer.password })).status).toBe(200);
    const earnings = await api("GET", "/api/auth/me/earnings/", { token: host.token });
    expect(earnings.body.rooms.find((r: any) => r.code === room.code).tips_cents).toBe(300);
  });
});

describe("retention", () => {
  it("the daily job clears addresses and ended bans older than RETENTION_DAYS, in Postgres and in the room's copy", async () => {
    const { room, hostSession } = await hostedRoom();
    const ip = randomIp();
    const guest = await join(room.code, unique("ret_"), { ip });
    const before = await api("GET", `/api/chats/${room.code}/check-rate-limit/?fingerprint=${unique("other")}`, { ip });
    expect(before.body.anonymous_count).toBe(1);
    const banned = await ban(room.code, hostSession.session_token, { username: guest.username, reason: "retention" });
    expect(banned.status).toBe(201);
    expect((await unban(room.code, hostSession.session_token, banned.body.ban.id)).status).toBe(200);

    // Today: nothing is old enough.
    await runCron(Date.now());
    expect((await listBans(room.code, hostSession.session_token)).body.bans).toHaveLength(1);

    await runCron(Date.now() + 31 * DAY);
    expect((await listBans(room.code, hostSession.session_token)).body.bans).toHaveLength(0);
    const after = await api("GET", `/api/chats/${room.code}/check-rate-limit/?fingerprint=${unique("other")}`, { ip });
    expect(after.body.anonymous_count).toBe(0);
  });
});

async function runCron(at: number) {
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ scheduledTime: at, cron: "17 3 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}
