// The open flow's lookups (my-participation, check-rate-limit, validate-username,
// the fingerprint's name) answered by the room from its own copy of its
// participations and bans (src/features/rooms/room-participants.ts): they must
// say what the join would do, at once after a join or a ban, with Postgres
// away, and in a room older than the copy (seeded once from Postgres).
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, join, joinRaw, myParticipation, randomIp, register, standInCounts, unique, withPostgresDown } from "./support/api";
import { ban, hostedRoom, unban } from "./support/room-actions";

const room = (code: string) => env.CHAT_ROOM.getByName(code);
const validate = (code: string, body: Record<string, unknown>, token?: string) => api("POST", `/api/chats/${code}/validate-username/`, { body, token });
const rateCheck = (code: string, fingerprint: string, ip: string) => api("GET", `/api/chats/${code}/check-rate-limit/?fingerprint=${fingerprint}`, { ip });

async function pgStatements(fn: () => Promise<unknown>) {
  const before = (await standInCounts()).statements;
  await fn();
  return (await standInCounts()).statements - before;
}

describe("lookups answered by the room", () => {
  it("see a join at once: the caller's participation, its name held against others, the address's count", async () => {
    const { room: r } = await hostedRoom();
    const fp = unique("fp");
    const name = unique("ann_");
    expect((await myParticipation(r.code, { fingerprint: fp })).body).toEqual({ has_joined: false });
    const joined = await join(r.code, name, { fingerprint: fp, ip: "10.77.0.1" });
    const mine = await myParticipation(r.code, { fingerprint: fp });
    expect([mine.body.has_joined, mine.body.participation_id, mine.body.username, mine.body.is_anonymous, mine.body.ban]).toEqual([true, joined.participation_id, name, true, null]);
    expect((await rateCheck(r.code, fp, "10.77.0.1")).body).toEqual({ can_join: true, is_rate_limited: false, existing_username: name });
    // Its own name is still its own; to anyone else, in any case, it is taken.
    expect((await validate(r.code, { username: name, fingerprint: fp })).body.available).toBe(true);
    const other = await validate(r.code, { username: name.toUpperCase(), fingerprint: unique("fp") });
    expect([other.body.available, other.body.reason]).toEqual([false, "That username is taken in this room."]);
    // A logged-in participant's names are another kind (Postgres' unique indexes are per kind).
    const account = await register();
    expect((await validate(r.code, { username: name }, account.token)).body.available).toBe(true);
    // The address's count: two more names from it, then the rule refuses the fourth, and says so before.
    const fresh = unique("fp");
    expect((await rateCheck(r.code, fresh, "10.77.0.1")).body).toMatchObject({ can_join: true, anonymous_count: 1, max_allowed: 3 });
    await join(r.code, unique("ann_"), { ip: "10.77.0.1" });
    await join(r.code, unique("ann_"), { ip: "10.77.0.1" });
    expect((await rateCheck(r.code, fresh, "10.77.0.1")).body).toMatchObject({ can_join: false, is_rate_limited: true, anonymous_count: 3 });
    expect((await joinRaw(r.code, { username: unique("ann_"), fingerprint: fresh }, { ip: "10.77.0.1" })).status).toBe(429);
    expect((await rateCheck(r.code, fresh, "10.77.0.2")).body).toMatchObject({ can_join: true, anonymous_count: 0 });
  });

  it("see a ban at once, with its reason and end, and its lifting", async () => {
    const { room: r, hostSession } = await hostedRoom();
    const fp = unique("fp");
    const troll = await join(r.code, unique("troll_"), { fingerprint: fp });
    const banned = await ban(r.code, hostSession.session_token, { username: troll.username, reason: "spam", duration_seconds: 3600 });
    expect(banned.status).toBe(201);
    const mine = await myParticipation(r.code, { fingerprint: fp });
    expect(mine.body.ban).toEqual({ reason: "spam", expires_at: banned.body.ban.expires_at });
    const name = await validate(r.code, { username: troll.username, fingerprint: unique("fp") });
    expect([name.body.available, name.body.reason]).toEqual([false, "That username is banned in this room."]);
    expect((await joinRaw(r.code, { username: troll.username, fingerprint: unique("fp") })).body.code).toBe("BANNED");
    expect((await unban(r.code, hostSession.session_token, banned.body.ban.id)).status).toBe(200);
    expect((await myParticipation(r.code, { fingerprint: fp })).body.ban).toBeNull();
    // Unbanned, the name is the troll's again (held), not banned.
    expect((await validate(r.code, { username: troll.username, fingerprint: unique("fp") })).body.reason).toBe("That username is taken in this room.");
  });

  it("need no Postgres for an anonymous caller, so they answer with Postgres away; a logged-in caller's login is still checked there", async () => {
    const { room: r } = await hostedRoom();
    const fp = unique("fp");
    const name = unique("ann_");
    await join(r.code, name, { fingerprint: fp });
    const account = await register();
    await join(r.code, unique("acc_"), { token: account.token });
    expect(await pgStatements(() => myParticipation(r.code, { fingerprint: fp }))).toBe(0);
    expect(await pgStatements(() => myParticipation(r.code, { token: account.token }))).toBe(1);
    await withPostgresDown(async () => {
      expect((await myParticipation(r.code, { fingerprint: fp })).body.username).toBe(name);
      expect((await rateCheck(r.code, fp, "10.1.1.1")).body.existing_username).toBe(name);
      expect((await validate(r.code, { username: name, fingerprint: unique("fp") })).body.reason).toBe("That username is taken in this room.");
      expect((await api("GET", `/api/chats/${r.code}/fingerprint-username/?fingerprint=${fp}`)).body).toEqual({ found: true, username: name });
      const login = await myParticipation(r.code, { token: account.token });
      expect([login.status, login.body.code]).toEqual([503, "DB_UNAVAILABLE"]);
    });
  });

  it("in a room older than its copy: Postgres is read once (participations and the bans' reasons), then never", async () => {
    const { room: r, hostSession } = await hostedRoom();
    const fp = unique("fp");
    const troll = await join(r.code, unique("troll_"), { fingerprint: fp });
    const bystander = unique("by_");
    await join(r.code, bystander);
    expect((await ban(r.code, hostSession.session_token, { username: troll.username, reason: "flooding" })).status).toBe(201);
    // As a room whose storage predates the copy: no participants, no seed mark, bans without details.
    await runInDurableObject(room(r.code), async (_o, state) => {
      state.storage.sql.exec(`DELETE FROM participants`);
      state.storage.sql.exec(`UPDATE bans SET reason = NULL, username_key = NULL`);
      await state.storage.delete("participants_seeded");
    });
    await evictDurableObject(room(r.code));
    // Postgres away: the room cannot seed its copy, so it says so rather than guess.
    await withPostgresDown(async () => {
      const refused = await myParticipation(r.code, { fingerprint: fp });
      expect([refused.status, refused.body.code]).toEqual([503, "DB_UNAVAILABLE"]);
    });
    let first: any;
    expect(await pgStatements(async () => (first = await myParticipation(r.code, { fingerprint: fp })))).toBe(1);
    expect([first.body.username, first.body.ban?.reason]).toEqual([troll.username, "flooding"]);
    expect(await pgStatements(() => validate(r.code, { username: bystander, fingerprint: unique("fp") }))).toBe(0);
    expect((await validate(r.code, { username: bystander, fingerprint: unique("fp") })).body.reason).toBe("That username is taken in this room.");
    expect((await validate(r.code, { username: troll.username.toUpperCase(), fingerprint: unique("fp") })).body.reason).toBe("That username is banned in this room.");
  });

  it("a hostile lookup changes nothing and learns nothing of a private room", async () => {
    const host = await register();
    const created = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Quiet", access_mode: "private", access_code: "letmein1" } });
    const code = created.body.code;
    const fp = unique("fp");
    const name = unique("ins_");
    await join(code, name, { fingerprint: fp, access_code: "letmein1" });
    expect((await myParticipation(code, { fingerprint: fp })).body).toEqual({ has_joined: false });
    expect((await rateCheck(code, fp, "10.2.2.2")).body).toEqual({ can_join: true, is_rate_limited: false, anonymous_count: 0, max_allowed: 3 });
    expect((await validate(code, { username: name, fingerprint: unique("fp") })).body.available).toBe(true); // rules only, without the code
    const withCode = await validate(code, { username: name, fingerprint: unique("fp"), access_code: "letmein1" });
    expect(withCode.body.reason).toBe("That username is taken in this room.");
    // A control character is refused before anything is asked; a name past the rules is answered by them.
    const nul = await validate(code, { username: "a\u0000b", fingerprint: fp, access_code: "letmein1" });
    expect([nul.status, typeof nul.body.code]).toEqual([400, "string"]);
    const long = await validate(code, { username: "x".repeat(500), fingerprint: fp, access_code: "letmein1" });
    expect([long.status, long.body.available, typeof long.body.reason]).toEqual([200, false, "string"]);
    const wrongFp = await api("GET", `/api/chats/${code}/my-participation/?fingerprint=${"f".repeat(5000)}`);
    expect(wrongFp.status).toBe(400);
    expect((await myParticipation(code, { fingerprint: fp })).body).toEqual({ has_joined: false });
  });

  it("past the lookup budget an address is refused (429 with Retry-After) though each call is counted after its answer; another address is not", async () => {
    const { room: r } = await hostedRoom();
    const ip = randomIp();
    const statuses: number[] = [];
    let refusal: any;
    for (let i = 0; i < 40; i++) {
      const res = await api("GET", `/api/chats/${r.code}/check-rate-limit/?fingerprint=${unique("fp")}`, { ip });
      statuses.push(res.status);
      if (res.status === 429) refusal ??= res;
      // Each count lands just after its answer; a caller this slow loses nothing to in-flight calls.
      await new Promise((done) => setTimeout(done, 40));
    }
    // The budget (30 a minute here): 30 answered, the 31st's count is the one Upstash refuses, and
    // from the next call on the address is refused until its window moves on.
    expect(statuses.slice(0, 31)).toEqual(Array(31).fill(200));
    expect(statuses.slice(31)).toEqual(Array(9).fill(429));
    expect([refusal.body.code, Number(refusal.headers.get("Retry-After")) > 0]).toEqual(["RATE_LIMITED", true]);
    expect((await api("GET", `/api/chats/${r.code}/check-rate-limit/?fingerprint=${unique("fp")}`, { ip: randomIp() })).status).toBe(200);
  });
});
