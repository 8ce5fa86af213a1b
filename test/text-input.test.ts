// Text input: every field refuses control characters and lone surrogates, and a poison sender costs honest ones nothing.
import { describe, expect, it } from "vitest";
import { api, connect, join, register } from "./support/api";
import { ban, history, roomWithMessage, sendRest } from "./support/room-actions";

const NUL = "\u0000";

const LONE = "\ud800";

describe("text with control characters or lone surrogates is refused everywhere", () => {
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
