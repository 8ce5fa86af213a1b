// The entry (POST /api/chats/:code/enter): a visitor's first screen in one call. It joins as
// POST /join does (same rules, same refusals, nothing written on a refusal) and answers the room
// and the main room's newest page beside the session.
import { describe, expect, it } from "vitest";
import { api, connect, connectResuming, join, myParticipation, newRoom, randomIp, register, settled, unique } from "./support/api";
import { ban, hostedRoom } from "./support/room-actions";

const enter = (code: string, body: Record<string, unknown>, opts: { token?: string; ip?: string } = {}) =>
  api("POST", `/api/chats/${code}/enter/`, { body, ...opts });

describe("entering a room in one call", () => {
  it("answers the room, a session and the newest page; the session connects and resumes after the page", async () => {
    const { room } = await newRoom();
    const talker = await join(room.code, unique("t_"));
    const s = await connect(room.code, talker.session_token);
    for (let i = 0; i < 3; i++) s.send({ message: `m${i}` });
    const sent = await s.waitForMessages(3);
    await settled(room.code);

    const fp = unique("fp");
    const name = unique("v_");
    const res = await enter(room.code, { username: name, fingerprint: fp });
    expect(res.status).toBe(200);
    expect(res.body.room).toMatchObject({ code: room.code, name: room.name, access_mode: "public", message_count: 3 });
    expect(res.body.room.access_code).toBeUndefined();
    expect(res.body).toMatchObject({ username: name, is_host: false, username_is_reserved: false });
    expect(res.body.history).toMatchObject({ has_more: false, next_before: null, count: 3, pinned_messages: [] });
    expect(res.body.history.messages.map((m: { content: string }) => m.content)).toEqual(["m0", "m1", "m2"]);
    // The participation is real: the room knows the visitor, and the session chats.
    expect((await myParticipation(room.code, { fingerprint: fp })).body).toMatchObject({ has_joined: true, username: name });
    const last = res.body.history.messages.at(-1).seq;
    expect(last).toBe(sent[2]!.seq);
    const mine = await connectResuming(room.code, res.body.session_token, last);
    s.send({ message: "after the page" });
    expect((await mine.waitForMessages(1)).map((m) => m.content)).toEqual(["after the page"]);

    // Entering again from the same browser returns it to its participation, under its first name.
    const again = await enter(room.code, { username: unique("other_"), fingerprint: fp });
    expect([again.status, again.body.username, again.body.participation_id]).toEqual([200, name, res.body.participation_id]);
    expect(again.body.history.count).toBe(4);
    mine.close();
    s.close();
  });

  it("pages like history: the newest 50 and a cursor to the older ones", async () => {
    const { room } = await newRoom();
    const talker = await join(room.code, unique("t_"));
    const s = await connect(room.code, talker.session_token);
    for (let i = 0; i < 55; i++) s.send({ message: `n${i}` });
    await s.waitForMessages(55);
    await settled(room.code);
    const res = await enter(room.code, { username: unique("v_"), fingerprint: unique("fp") });
    expect([res.body.history.count, res.body.history.has_more, res.body.history.messages[0].content]).toEqual([50, true, "n5"]);
    const older = await api("GET", `/api/chats/${room.code}/messages/?before=${res.body.history.next_before}`);
    expect(older.body.messages.map((m: { content: string }) => m.content)).toEqual(["n0", "n1", "n2", "n3", "n4"]);
    s.close();
  });

  it("a logged-in host enters as host; a private room needs its code from everyone, as join does", async () => {
    const host = await register();
    const created = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Quiet", access_mode: "private", access_code: "open-sesame-42" } });
    const code = created.body.code as string;
    const hosting = await enter(code, { username: host.user.reserved_username, access_code: "open-sesame-42" }, { token: host.token });
    expect([hosting.status, hosting.body.is_host, hosting.body.room.access_mode]).toEqual([200, true, "private"]);

    const fp = unique("fp");
    const ip = randomIp();
    const without = await enter(code, { username: unique("g_"), fingerprint: fp }, { ip });
    const wrong = await enter(code, { username: unique("g_"), fingerprint: fp, access_code: "not-the-code" }, { ip });
    expect([without.status, wrong.status, wrong.body.code]).toEqual([403, 403, "ACCESS_CODE_INVALID"]);
    for (const refused of [without, wrong]) expect(refused.body.history).toBeUndefined();
    // Neither refusal made a participation: the right code now joins under the name it asks for.
    const asked = unique("g_");
    const right = await enter(code, { username: asked, fingerprint: fp, access_code: "open-sesame-42" }, { ip });
    expect([right.status, right.body.username, right.body.history.count]).toEqual([200, asked, 0]);
  });

  it("refuses what join refuses, with the same error, and writes nothing", async () => {
    const { room, hostSession } = await hostedRoom();
    const fp = unique("fp");
    await join(room.code, "banned_one", { fingerprint: fp });
    expect((await ban(room.code, hostSession.session_token, { username: "banned_one", reason: "spam" })).status).toBe(201);

    const cases: [Record<string, unknown>, number, string | null][] = [
      [{ username: "banned_one", fingerprint: fp }, 403, "BANNED"],
      [{ username: "someone_new", fingerprint: fp }, 403, "BANNED"],
      [{ username: unique("g_") }, 400, "IDENTITY_REQUIRED"],
      [{ username: 42, fingerprint: unique("fp") }, 400, null],
      [{ username: "bell\u0007name", fingerprint: unique("fp") }, 400, null],
      [{ username: "x".repeat(500), fingerprint: unique("fp") }, 400, null],
      [{ username: unique("g_"), fingerprint: "" }, 400, null],
    ];
    for (const [body, status, code] of cases) {
      const res = await enter(room.code, body);
      expect([res.status, code ?? res.body.code]).toEqual([status, code ?? expect.any(String)]);
      expect(res.body.history).toBeUndefined();
      expect(res.body.session_token).toBeUndefined();
    }
    const unknown = await enter("ZZZZZZZZ", { username: unique("g_"), fingerprint: unique("fp") });
    expect([unknown.status, unknown.body.code]).toEqual([404, "ROOM_NOT_FOUND"]);
    const notJson = await api("POST", `/api/chats/${room.code}/enter/`, { rawBody: "{not json", headers: { "Content-Type": "application/json" } });
    expect(notJson.status).toBe(400);
    // Nobody joined through a refusal.
    for (const [body] of cases) {
      if (typeof body.fingerprint === "string" && body.fingerprint !== "" && body.fingerprint !== fp) {
        expect((await myParticipation(room.code, { fingerprint: body.fingerprint })).body.has_joined).toBe(false);
      }
    }
  });
});
