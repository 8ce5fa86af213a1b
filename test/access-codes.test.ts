// A private room's access code: one budget of wrong codes for every endpoint that
// checks one (join, validate-username, the back room's details), per address and
// per room, spent before the hash runs; members keep their way in while others
// guess; new codes are no PIN. Limits here: 3 wrong codes per address and 30 per
// room in ten minutes (vitest.config.ts).
import { describe, expect, it } from "vitest";
import { api, join, newRoom, randomIp, register, unique } from "./support/api";
import { MINUTE, withinOneRateWindow } from "./support/rate-window";

const CODE = "open-sesame-42";

async function privateRoom() {
  const host = await register();
  const res = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Private", access_mode: "private", access_code: CODE } });
  expect(res.status).toBe(201);
  return { host, code: res.body.code as string };
}

/** One try of the code at each endpoint that checks it, from one address. */
const tries = (code: string, ip: string) => ({
  join: (access_code: string, headers: Record<string, string> = {}) =>
    api("POST", `/api/chats/${code}/join/`, { ip, headers, body: { username: unique("g_"), fingerprint: unique("fp"), access_code } }),
  validate: (access_code: string) => api("POST", `/api/chats/${code}/validate-username/`, { ip, body: { username: unique("v_"), access_code } }),
  backroom: (access_code: string) => api("GET", `/api/chats/${code}/backroom/`, { ip, headers: { "X-Access-Code": access_code } }),
});

describe("wrong access codes spend one budget", () => {
  it("per address, across join, validate-username and the back room: the fourth try is 429 with Retry-After, even with the right code", async () => {
    await withinOneRateWindow(10 * MINUTE, 20_000);
    const { code } = await privateRoom();
    const ip = randomIp();
    const t = tries(code, ip);
    expect((await t.join("guess-1")).body.code).toBe("ACCESS_CODE_INVALID");
    expect((await t.validate("guess-2")).body.code).toBe("ACCESS_CODE_INVALID");
    expect((await t.backroom("guess-3")).body.code).toBe("ACCESS_CODE_INVALID");
    for (const attempt of [() => t.join(CODE), () => t.validate(CODE), () => t.backroom(CODE)]) {
      const refused = await attempt();
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe("RATE_LIMITED");
      expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(refused.body.details.retry_after_seconds).toBeGreaterThan(0);
    }
    // Nobody joined through the refused tries; another address still gets in with the right code.
    expect((await tries(code, randomIp()).join(CODE)).status).toBe(200);
  });

  it("the same address's budget holds in every private room: it counts the address, not the room", async () => {
    await withinOneRateWindow(10 * MINUTE, 20_000);
    const [a, b] = [await privateRoom(), await privateRoom()];
    const ip = randomIp();
    for (const guess of ["x-1", "x-2"]) expect((await tries(a.code, ip).join(guess)).status).toBe(403);
    expect((await tries(b.code, ip).join("x-3")).status).toBe(403);
    expect((await tries(b.code, ip).join(CODE)).status).toBe(429);
  });

  it("a right code gives its try back: one address gets in more times than the budget of wrong ones", async () => {
    await withinOneRateWindow(10 * MINUTE, 20_000);
    const { code } = await privateRoom();
    const t = tries(code, randomIp());
    expect((await t.join("wrong-once")).status).toBe(403);
    for (let i = 0; i < 6; i++) expect((await t.validate(CODE)).status).toBe(200);
    expect((await t.backroom(CODE)).status).toBe(200);
  });

  it("per room, from many addresses: past 30 wrong codes a newcomer waits, while members keep their way in", async () => {
    await withinOneRateWindow(10 * MINUTE, 60_000);
    const { code } = await privateRoom();
    const member = await join(code, unique("m_"), { access_code: CODE });
    const account = await register();
    await join(code, unique("a_"), { token: account.token, access_code: CODE });
    // Ten addresses, three wrong codes each: every one within its own address's budget.
    for (let a = 0; a < 10; a++) {
      const t = tries(code, randomIp());
      const answers = await Promise.all([t.join("no-1"), t.validate("no-2"), t.backroom("no-3")]);
      expect(answers.map((r) => r.status)).toEqual([403, 403, 403]);
    }
    const newcomer = await tries(code, randomIp()).join(CODE);
    expect([newcomer.status, newcomer.body.code]).toEqual([429, "RATE_LIMITED"]);
    expect(newcomer.body.error).toContain("this room");
    // A session of the room (its token) or an account's participation is not held up by the room's budget.
    const rejoin = await tries(code, randomIp()).join(CODE, { "X-Session-Token": member.session_token });
    expect(rejoin.status).toBe(200);
    const byAccount = await api("POST", `/api/chats/${code}/join/`, { token: account.token, body: { username: "ignored_name", access_code: CODE } });
    expect(byAccount.status).toBe(200);
    // A session is no key to the code itself: a wrong code with a session is still refused.
    expect((await tries(code, randomIp()).join("still-wrong", { "X-Session-Token": member.session_token })).status).toBe(403);
  });

  it("a new private room's code is no PIN: at least 6 characters", async () => {
    const host = await register();
    const create = (access_code: string) => api("POST", "/api/chats/create/", { token: host.token, body: { name: "P", access_mode: "private", access_code } });
    for (const short of ["1234", "12345"]) {
      const res = await create(short);
      expect([res.status, res.body.code]).toEqual([400, "VALIDATION_ERROR"]);
      expect(JSON.stringify(res.body)).toContain("at least 6");
    }
    expect((await create("123456")).status).toBe(201);
  });
});

describe("a private room tells an outsider nothing by fingerprint", () => {
  async function roomWithMember() {
    const { code } = await privateRoom();
    const fingerprint = unique("fp-victim-");
    const member = await join(code, unique("hidden_"), { access_code: CODE, fingerprint });
    return { code, fingerprint, member };
  }

  it("fingerprint-username, check-rate-limit and my-participation answer an outsider as a miss", async () => {
    const { code, fingerprint } = await roomWithMember();
    const fp = encodeURIComponent(fingerprint);
    expect((await api("GET", `/api/chats/${code}/fingerprint-username/?fingerprint=${fp}`)).body).toEqual({ found: false, username: null });
    expect((await api("POST", `/api/chats/${code}/fingerprint-username/`, { body: { fingerprint } })).body).toEqual({ found: false, username: null });
    const check = await api("GET", `/api/chats/${code}/check-rate-limit/?fingerprint=${fp}`);
    expect(check.body).toEqual({ can_join: true, is_rate_limited: false, anonymous_count: 0, max_allowed: 3 });
    expect((await api("GET", `/api/chats/${code}/my-participation/?fingerprint=${fp}`)).body).toEqual({ has_joined: false });
    // The same answers as for a fingerprint nobody holds.
    expect((await api("GET", `/api/chats/${code}/fingerprint-username/?fingerprint=nobody`)).body).toEqual({ found: false, username: null });
  });

  it("answer a session of the room or the access code, and refuse a wrong code", async () => {
    const { code, fingerprint, member } = await roomWithMember();
    const fp = encodeURIComponent(fingerprint);
    const session = { "X-Session-Token": member.session_token };
    expect((await api("GET", `/api/chats/${code}/fingerprint-username/?fingerprint=${fp}`, { headers: session })).body).toEqual({ found: true, username: member.username });
    const byCode = await api("GET", `/api/chats/${code}/fingerprint-username/?fingerprint=${fp}`, { headers: { "X-Access-Code": CODE } });
    expect(byCode.body).toEqual({ found: true, username: member.username });
    expect((await api("GET", `/api/chats/${code}/check-rate-limit/?fingerprint=${fp}`, { headers: session })).body.existing_username).toBe(member.username);
    expect((await api("GET", `/api/chats/${code}/my-participation/?fingerprint=${fp}`, { headers: session })).body).toMatchObject({ has_joined: true, username: member.username });
    const wrong = await api("GET", `/api/chats/${code}/fingerprint-username/?fingerprint=${fp}`, { headers: { "X-Access-Code": "not-the-code" } });
    expect([wrong.status, wrong.body.code]).toEqual([403, "ACCESS_CODE_INVALID"]);
  });

  it("every lookup route counts against its address: past 30 a minute, 429", async () => {
    await withinOneRateWindow(MINUTE, 15_000);
    const { code } = await roomWithMember();
    const ip = randomIp();
    const paths = [`fingerprint-username/?fingerprint=a`, `check-rate-limit/?fingerprint=a`, `my-participation/?fingerprint=a`];
    for (let i = 0; i < 30; i++) expect((await api("GET", `/api/chats/${code}/${paths[i % 3]}`, { ip })).status).toBe(200);
    // Counted just after each answer: the call whose count goes over is still answered, the next is not.
    await countsLanded();
    expect((await api("GET", `/api/chats/${code}/${paths[0]}`, { ip })).status).toBe(200);
    await countsLanded();
    for (const path of paths) {
      const res = await api("GET", `/api/chats/${code}/${path}`, { ip });
      expect([res.status, res.body.code]).toEqual([429, "RATE_LIMITED"]);
    }
    expect((await api("POST", `/api/chats/${code}/fingerprint-username/`, { ip, body: { fingerprint: "a" } })).status).toBe(429);
  });
});

describe("validate-username is no free name oracle", () => {
  it("counts per address, and per account across addresses (60 a minute, as registration's name check)", async () => {
    await withinOneRateWindow(MINUTE, 30_000);
    const { room } = await newRoom();
    const account = await register();
    const check = (ip: string) => api("POST", `/api/chats/${room.code}/validate-username/`, { ip, token: account.token, body: { username: unique("n_") } });
    // Sixty from sixty addresses, one account: the account's budget is spent.
    const answers = await Promise.all(Array.from({ length: 60 }, () => check(randomIp())));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    // Counted just after each answer: the call whose count goes over is still answered, the next is not.
    await countsLanded();
    expect((await check(randomIp())).status).toBe(200);
    await countsLanded();
    const over = await check(randomIp());
    expect([over.status, over.body.code]).toEqual([429, "RATE_LIMITED"]);
    expect(over.body.error).toContain("your account");
  });
});

describe("a private room leaks nothing without its code or a session", () => {
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

/** Rate limits counted after the answer (countAfter) land a moment later. */
const countsLanded = () => new Promise((done) => setTimeout(done, 150));
