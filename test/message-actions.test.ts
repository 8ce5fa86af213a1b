// Reactions, deletion and presence through the public API, checked in the
// answers, in the frames every socket gets, in history and in Redis.
import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom, redis, type Client } from "./support/api";

async function roomWithMessage() {
  const { host, room } = await newRoom();
  const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
  const alice = await join(room.code, "alice_here");
  const bob = await join(room.code, "bob_there");
  const sent = await api("POST", `/api/chats/${room.code}/messages/send/`, {
    body: { message: "react to me", session_token: alice.session_token },
  });
  return { room, hostSession, alice, bob, message: sent.body };
}

const react = (code: string, id: string, session_token: string, emoji: unknown) =>
  api("POST", `/api/chats/${code}/messages/${id}/react/`, { body: { session_token, emoji } });

const remove = (code: string, id: string, session_token: string) =>
  api("POST", `/api/chats/${code}/messages/${id}/delete/`, { body: { session_token } });

const history = async (code: string) => (await api("GET", `/api/chats/${code}/messages/?limit=100`)).body;

const reactionsKey = (code: string, id: string) => `chat:${code}:reactions:${id}`;

/** The reaction hash as {emoji: count}: the raw client answers Redis' flat field/value list. */
async function cachedCounts(code: string, id: string): Promise<Record<string, string>> {
  const flat = ((await redis().hgetall(reactionsKey(code, id))) ?? []) as unknown as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

describe("reactions", () => {
  it("toggles on and off, with the counts in the answer, the frames, history and Redis", async () => {
    const { room, alice, bob, message } = await roomWithMessage();
    const watcher = await connect(room.code, bob.session_token);

    const first = await react(room.code, message.id, alice.session_token, "👍");
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ message_id: message.id, action: "added", reactions: [{ emoji: "👍", count: 1 }] });
    await react(room.code, message.id, bob.session_token, "👍");
    const third = await react(room.code, message.id, bob.session_token, "🇫🇷");
    expect(third.body.reactions).toEqual([
      { emoji: "👍", count: 2 },
      { emoji: "🇫🇷", count: 1 },
    ]);

    await watcher.until("three reaction frames", () => watcher.frames.filter((f) => f.type === "reaction").length >= 3);
    const frames = watcher.frames.filter((f) => f.type === "reaction");
    expect(frames.map((f) => [f.emoji, f.action, f.username])).toEqual([
      ["👍", "added", "alice_here"],
      ["👍", "added", "bob_there"],
      ["🇫🇷", "added", "bob_there"],
    ]);
    expect(frames[2]).toMatchObject({ message_id: message.id, reactions: third.body.reactions });

    const cached = await cachedCounts(room.code, message.id);
    expect(cached).toEqual({ "👍": "2", "🇫🇷": "1" });
    const ttl = await redis().ttl(reactionsKey(room.code, message.id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
    expect((await history(room.code)).messages[0].reactions).toEqual(third.body.reactions);

    // A second toggle by the same participant removes only that reaction.
    const off = await react(room.code, message.id, bob.session_token, "👍");
    // Equal counts are ordered by emoji, the same in Postgres and Redis.
    expect(off.body).toMatchObject({ action: "removed", reactions: [{ emoji: "🇫🇷", count: 1 }, { emoji: "👍", count: 1 }] });
    const last = await react(room.code, message.id, bob.session_token, "🇫🇷");
    expect(last.body.reactions).toEqual([{ emoji: "👍", count: 1 }]);
    expect(await cachedCounts(room.code, message.id)).toEqual({ "👍": "1" });
    expect((await history(room.code)).messages[0].reactions).toEqual([{ emoji: "👍", count: 1 }]);
    const read = await api("GET", `/api/chats/${room.code}/messages/${message.id}/reactions/`);
    expect(read.body).toEqual({ message_id: message.id, reactions: [{ emoji: "👍", count: 1 }] });
    watcher.close();
  });

  it("rebuilds the counts from Postgres when the Redis hash is missing, never showing them wrong", async () => {
    const { room, alice, bob, message } = await roomWithMessage();
    await react(room.code, message.id, alice.session_token, "🔥");
    await react(room.code, message.id, bob.session_token, "🔥");
    await redis().del(reactionsKey(room.code, message.id));

    const read = await api("GET", `/api/chats/${room.code}/messages/${message.id}/reactions/`);
    expect(read.body.reactions).toEqual([{ emoji: "🔥", count: 2 }]);
    await expect.poll(() => cachedCounts(room.code, message.id)).toEqual({ "🔥": "2" });

    // A stale hash is replaced on the next toggle, from Postgres' counts.
    await redis().hset(reactionsKey(room.code, message.id), { "🔥": "99" });
    const next = await react(room.code, message.id, alice.session_token, "🔥");
    expect(next.body.reactions).toEqual([{ emoji: "🔥", count: 1 }]);
    expect(await cachedCounts(room.code, message.id)).toEqual({ "🔥": "1" });
  });

  it("refuses anything but one emoji, and messages it cannot reach", async () => {
    const { room, alice, message } = await roomWithMessage();
    for (const emoji of ["a", "ok", "👍👍", "👍".repeat(50), "", " ", " 👍", "1", "😀a", "👨‍👩‍👧‍👦", "<b>", "'; drop table messages;--"]) {
      const res = await react(room.code, message.id, alice.session_token, emoji);
      expect(res.status, JSON.stringify(emoji)).toBe(400);
      expect(res.body.code, JSON.stringify(emoji)).toBe("INVALID_EMOJI");
    }
    for (const emoji of [null, 5, ["👍"], { e: "👍" }]) {
      const res = await react(room.code, message.id, alice.session_token, emoji);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("VALIDATION_ERROR");
    }
    for (const ok of ["❤️", "👍🏽", "1️⃣", "🏳️‍🌈"]) expect((await react(room.code, message.id, alice.session_token, ok)).status, ok).toBe(200);

    const other = await roomWithMessage();
    const foreign = await react(room.code, other.message.id, alice.session_token, "👍");
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("MESSAGE_NOT_FOUND");
    expect((await react(room.code, "not-a-uuid", alice.session_token, "👍")).status).toBe(404);
    expect((await react(room.code, crypto.randomUUID(), alice.session_token, "👍")).status).toBe(404);
    expect((await react(room.code, message.id, other.alice.session_token, "👍")).status).toBe(403);
    expect((await api("POST", `/api/chats/${room.code}/messages/${message.id}/react/`, { body: { emoji: "👍" } })).status).toBe(401);

    await remove(room.code, message.id, alice.session_token);
    const onDeleted = await react(room.code, message.id, alice.session_token, "👍");
    expect(onDeleted.status).toBe(404);
    expect((await history(other.room.code)).messages[0].reactions).toEqual([]);
  });
});

describe("deletion", () => {
  it("removes the message from history, the Redis window and the reaction cache, and tells every socket", async () => {
    const { room, alice, bob, message } = await roomWithMessage();
    const reply = await api("POST", `/api/chats/${room.code}/messages/send/`, {
      body: { message: "a reply", reply_to_id: message.id, session_token: bob.session_token },
    });
    await react(room.code, message.id, bob.session_token, "👍");
    const sockets: Client[] = [await connect(room.code, alice.session_token), await connect(room.code, bob.session_token)];

    const res = await remove(room.code, message.id, alice.session_token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message_id: message.id });
    for (const s of sockets) {
      await s.until("message_deleted", () => s.frames.some((f) => f.type === "message_deleted"));
      expect(s.frames.find((f) => f.type === "message_deleted")).toEqual({ type: "message_deleted", message_id: message.id });
    }

    const h = await history(room.code);
    expect(h.messages.map((m: any) => m.id)).toEqual([reply.body.id]);
    // The reply still names its parent, without what it said.
    expect(h.messages[0].reply_to).toEqual({ id: message.id, username: "alice_here", content: null });
    const window = (await redis().zrange<string[]>(`chat:${room.code}:messages`, 0, -1)).map((m) => JSON.parse(m));
    expect(window.map((m) => m.id)).toEqual([reply.body.id]);
    expect(window[0].reply_to.content).toBeNull();
    expect(await redis().exists(reactionsKey(room.code, message.id))).toBe(0);

    // Deleting twice finds nothing; replying to it is refused.
    expect((await remove(room.code, message.id, alice.session_token)).body.code).toBe("MESSAGE_NOT_FOUND");
    const late = await api("POST", `/api/chats/${room.code}/messages/send/`, {
      body: { message: "too late", reply_to_id: message.id, session_token: bob.session_token },
    });
    expect(late.body.code).toBe("REPLY_NOT_FOUND");
    sockets.forEach((s) => s.close());
  });

  it("lets only the author or the host delete", async () => {
    const { room, hostSession, alice, bob, message } = await roomWithMessage();
    const notMine = await remove(room.code, message.id, bob.session_token);
    expect(notMine.status).toBe(403);
    expect(notMine.body.code).toBe("NOT_ALLOWED");
    expect((await history(room.code)).messages).toHaveLength(1);

    const other = await roomWithMessage();
    expect((await remove(room.code, message.id, other.hostSession.session_token)).status).toBe(403);
    expect((await remove(room.code, other.message.id, hostSession.session_token)).status).toBe(404);

    expect((await remove(room.code, message.id, hostSession.session_token)).status).toBe(200);
    expect((await history(room.code)).messages).toHaveLength(0);
    const own = await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message: "mine", session_token: alice.session_token } });
    expect((await remove(room.code, own.body.id, alice.session_token)).status).toBe(200);
  });
});

describe("presence", () => {
  it("broadcasts the number of distinct participants connected when it changes", async () => {
    const { room, alice, bob } = await roomWithMessage();
    const latest = (c: Client) => c.frames.filter((f) => f.type === "presence").at(-1)?.count;

    const a1 = await connect(room.code, alice.session_token);
    await a1.until("presence 1", () => latest(a1) === 1);
    // A second tab of the same participant is still one participant.
    const a2 = await connect(room.code, alice.session_token);
    await a2.until("presence for the new socket", () => latest(a2) === 1);
    const b = await connect(room.code, bob.session_token);
    await a1.until("presence 2", () => latest(a1) === 2);
    await b.until("presence 2 for bob", () => latest(b) === 2);

    b.close();
    await a1.until("presence back to 1", () => latest(a1) === 1, 5_000);
    a1.close();
    a2.close();
  });

  it("sends at most one presence frame a second, however many join at once", async () => {
    const { room, alice } = await roomWithMessage();
    const observer = await connect(room.code, alice.session_token);
    await observer.until("first presence", () => observer.frames.some((f) => f.type === "presence"));
    const others = await Promise.all(Array.from({ length: 6 }, async () => connect(room.code, (await join(room.code)).session_token)));
    await observer.until("presence 7", () => observer.frames.filter((f) => f.type === "presence").at(-1)?.count === 7, 5_000);
    const presence = observer.frames.filter((f) => f.type === "presence");
    // Counts arrive in bursts no closer than a second: 6 connects cannot make 6 frames quickly.
    expect(presence.length).toBeLessThanOrEqual(4);
    others.forEach((c) => c.close());
    observer.close();
  });
});
