// A room that has just woken (evicted, hibernated, a deploy) serves from its
// own storage: sends, resumes, kicks and the back room need no Postgres, and
// nothing keeps an idle room awake. The Neon stand-in is taken down around
// the eviction, as in an outage that outlasts a deploy.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE_BAD_TOKEN, CLOSE_BANNED } from "../src/protocol";
import type { ChatRoom } from "../src/room/chat-room";
import { ROOM_SCHEMA_VERSION } from "../src/room/room-schema";
import { api, connect, connectResuming, join, newRoom, register, settled, standInCounts, unique, withPostgresDown, type Client } from "./support/api";
import { ban, buySeat, history, hostedRoom, openBackroom, sendRest } from "./support/room-actions";
import { alarmOf, holdRoomClock } from "./support/room-clock";

const strict = env.SEND_COMMIT === "postgres";
const room = (code: string) => env.CHAT_ROOM.getByName(code);
const seqs = (c: Client) => c.messages().map((m) => m.seq as number);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const closeAll = (...clients: Client[]) => clients.forEach((c) => c.close());


/** A room with two chatting sockets and `n` messages that Postgres has. */
async function chattingRoom(n: number) {
  const { room: r } = await newRoom();
  const alice = await join(r.code, unique("alice_"));
  const bob = await join(r.code, unique("bob_"));
  const a = await connect(r.code, alice.session_token);
  const b = await connect(r.code, bob.session_token);
  for (let i = 1; i <= n; i++) a.send({ message: `m${i}` });
  await b.waitForMessages(n);
  await settled(r.code);
  return { code: r.code, alice, bob, a, b };
}

describe.runIf(!strict)("a room that wakes while Postgres is away", () => {
  it("answers room details from what it keeps (its row from the create route, its count from its log); an unknown code is 404", async () => {
    const { code, a, b } = await chattingRoom(4);
    await withPostgresDown(async () => {
      await evictDurableObject(room(code));
      const details = await api("GET", `/api/chats/${code}/`);
      expect([details.status, details.body.code, details.body.message_count]).toEqual([200, code, 4]);
    });
    const unknown = await api("GET", `/api/chats/zzzzzz99/`);
    expect(unknown).toMatchObject({ status: 404, body: { code: "ROOM_NOT_FOUND" } });
    closeAll(a, b);
  });

  it("commits and broadcasts sends, acknowledges each, and flushes them in order once Postgres is back", async () => {
    const { code, a, b } = await chattingRoom(3);
    await withPostgresDown(async () => {
      await evictDurableObject(room(code));
      for (let i = 0; i < 5; i++) a.send({ message: `cold ${i}`, client_id: `cold-${i}` });
      await b.waitForMessages(8);
      await a.until("five acknowledgements", () => a.messages().filter((m) => String(m.client_id).startsWith("cold-")).length === 5);
      expect(a.frames.filter((f) => f.type === "error")).toEqual([]);
    });
    expect(seqs(b)).toEqual(range(1, 8));
    expect((await history(code)).messages.map((m: { content: string }) => m.content)).toEqual(["m1", "m2", "m3", ...range(0, 4).map((i) => `cold ${i}`)]);
    closeAll(a, b);
  });

  it("resumes a socket from its own log with no gap: what Postgres has and what it does not yet", async () => {
    const { code, bob, a, b } = await chattingRoom(10);
    await withPostgresDown(async () => {
      await evictDurableObject(room(code));
      for (let i = 11; i <= 14; i++) a.send({ message: `m${i}` });
      await b.waitForMessages(14);
      const late = await connectResuming(code, bob.session_token, 3);
      await late.waitForMessages(11);
      expect(seqs(late)).toEqual(range(4, 14));
      expect(late.frames.filter((f) => f.type === "error" || f.type === "gap")).toEqual([]);
      late.close();
    });
    await settled(code);
    closeAll(a, b);
  });

  it("kicks a banned participant who reconnects, and refuses their REST send, from the ban it keeps", async () => {
    const { room: r, hostSession } = await hostedRoom();
    const troll = await join(r.code, unique("troll_"));
    const t = await connect(r.code, troll.session_token);
    expect((await ban(r.code, hostSession.session_token, { username: troll.username })).status).toBe(201);
    await t.waitForClose();
    await withPostgresDown(async () => {
      await evictDurableObject(room(r.code));
      const again = await connect(r.code, troll.session_token);
      expect((await again.waitForClose()).code).toBe(CLOSE_BANNED);
      const rest = await sendRest(r.code, troll.session_token, "still here?");
      expect([rest.status, rest.body.code]).toEqual([403, "BANNED"]);
    });
  });

  it("lets back-room members (and only them) send in the back room", async () => {
    const { room: r, hostSession } = await hostedRoom();
    await openBackroom(r.code, hostSession.session_token);
    const member = await join(r.code, unique("mem_"));
    const outsider = await join(r.code, unique("out_"));
    expect((await buySeat(r.code, member.session_token)).status).toBe(200);
    const [m, o] = await Promise.all([connect(r.code, member.session_token), connect(r.code, outsider.session_token)]);
    await withPostgresDown(async () => {
      await evictDurableObject(room(r.code));
      m.send({ message: "members only", channel: "backroom", client_id: "in" });
      await m.until("the ack", () => m.messages().some((f) => f.client_id === "in"));
      o.send({ message: "let me in", channel: "backroom", client_id: "out" });
      const refusal = await o.nextFrame("error");
      expect([refusal.code, refusal.client_id]).toEqual(["NOT_BACKROOM_MEMBER", "out"]);
    });
    expect(o.messages().filter((f) => f.channel === "backroom")).toEqual([]);
    await settled(r.code);
    closeAll(m, o);
  });
});

describe("logged-in readers across a deploy during an outage", () => {
  it("get back in and chat, while a token whose login ended is refused by the room (4003)", async () => {
    const { room: r } = await hostedRoom();
    const staying = await register();
    const leaving = await register();
    const stays = await join(r.code, unique("st_"), { token: staying.token });
    const leaves = await join(r.code, unique("lv_"), { token: leaving.token });
    const gone = await connect(r.code, leaves.session_token);
    expect((await api("POST", "/api/auth/logout/", { token: leaving.token })).status).toBe(204);
    expect((await gone.waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
    await withPostgresDown(async () => {
      // A deploy: the room's memory is gone, and the Worker cannot ask Postgres about logins.
      await evictDurableObject(room(r.code));
      const back = await connect(r.code, stays.session_token);
      back.send({ message: "back after the deploy", client_id: "back" });
      await back.until("the ack", () => back.messages().some((m) => m.client_id === "back"));
      const refused = await connect(r.code, leaves.session_token);
      expect(await refused.waitForClose()).toEqual({ code: CLOSE_BAD_TOKEN, reason: "the login of this session has ended; join again" });
      back.close();
    });
    await settled(r.code);
  });
});

describe("a room's own storage", () => {
  it("is seeded from Postgres once: a ban stored before the room kept its own still applies after a wake", async () => {
    const { room: r, hostSession } = await hostedRoom();
    const troll = await join(r.code, unique("troll_"));
    expect((await ban(r.code, hostSession.session_token, { username: troll.username })).status).toBe(201);
    // As a room older than this storage: nothing of its own but its log, and no seed mark.
    await runInDurableObject(room(r.code), async (_o: ChatRoom, state) => {
      state.storage.sql.exec(`DELETE FROM ban_participations`);
      state.storage.sql.exec(`DELETE FROM bans`);
      await state.storage.delete("seeded");
    });
    await evictDurableObject(room(r.code));
    const again = await connect(r.code, troll.session_token);
    expect((await again.waitForClose()).code).toBe(CLOSE_BANNED);
    // Seeded now: the next wake asks Postgres nothing, so Postgres being away changes nothing.
    await withPostgresDown(async () => {
      await evictDurableObject(room(r.code));
      const once_more = await connect(r.code, troll.session_token);
      expect((await once_more.waitForClose()).code).toBe(CLOSE_BANNED);
    });
  });

  it("keeps its schema version and migrates on wake", async () => {
    const { code, a, b } = await chattingRoom(1);
    const version = await runInDurableObject(room(code), (_o: ChatRoom, state) =>
      state.storage.sql.exec<{ version: number }>(`SELECT version FROM schema_version`).one().version,
    );
    expect(version).toBe(ROOM_SCHEMA_VERSION);
    expect(ROOM_SCHEMA_VERSION).toBeGreaterThanOrEqual(3);
    closeAll(a, b);
  });
});

describe("a pin across a wake", () => {
  it("ends on time from the pin end the room keeps; an alarm before then asks Postgres nothing", async () => {
    const { room: r } = await hostedRoom();
    const alice = await join(r.code, unique("al_"));
    const sent = await sendRest(r.code, alice.session_token, "pin me");
    const paid = await api("POST", `/api/chats/${r.code}/messages/${sent.body.id}/pin/`, {
      body: { session_token: alice.session_token, amount_cents: 100 },
      headers: { "Idempotency-Key": unique("k") },
    });
    expect(paid.status).toBe(200);
    const until = Date.parse(paid.body.message.pinned_until);
    await settled(r.code);
    // The only alarm left is the pin's end (the flush took its safety wake back).
    await expect.poll(() => alarmOf(r.code), { timeout: 5_000 }).toBe(until);
    await evictDurableObject(room(r.code));
    const watcher = await connect(r.code, alice.session_token);
    const before = await standInCounts();
    expect(await runDurableObjectAlarm(room(r.code))).toBe(true);
    expect((await standInCounts()).statements - before.statements).toBe(0);
    expect(await alarmOf(r.code)).toBe(until);
    await holdRoomClock(r.code, until + 1);
    expect(await runDurableObjectAlarm(room(r.code))).toBe(true);
    await watcher.until("the unpinned frame", () => watcher.frames.some((f) => f.type === "unpinned" && f.message_id === sent.body.id));
    expect(await alarmOf(r.code)).toBeNull();
    watcher.close();
  });
});

describe("an idle room", () => {
  it("makes no Postgres statement or connection, no Upstash request and sets no alarm while nothing happens", async () => {
    const { code, a, b } = await chattingRoom(3);
    // The flush is done: the safety wake it set is taken back.
    await expect.poll(() => alarmOf(code), { timeout: 5_000 }).toBeNull();
    // The stand-ins count for the whole stack: wait until what earlier tests left running is done.
    let before = await standInCounts();
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const now = await standInCounts();
      if (JSON.stringify(now) === JSON.stringify(before)) break;
      before = now;
    }
    const clock = await holdRoomClock(code);
    clock.advance(10 * 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await standInCounts();
    expect(after).toEqual(before);
    expect(await alarmOf(code)).toBeNull();
    // Ten quiet minutes later the readers are still there, and the room still chats.
    expect([a.closed, b.closed]).toEqual([null, null]);
    a.send({ message: "still here" });
    await b.waitForMessages(4);
    closeAll(a, b);
  });
});
