// Reactions through the public API, checked in the answers, the frames every
// socket gets and history. Counts live in Postgres only: no Redis key holds them.
import { describe, expect, it } from "vitest";
import { api, connect, redis } from "./support/api";
import { history, react, remove, roomWithMessage } from "./support/room-actions";

describe("reactions", () => {
  it("toggles on and off, with the counts in the answer, the frames and history, and no Redis key", async () => {
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

    // A toggle costs Postgres only: nothing of the counts is kept in Redis.
    expect(await redis().keys(`chat:${room.code}:reactions:*`)).toEqual([]);
    expect((await history(room.code)).messages[0].reactions).toEqual(third.body.reactions);

    // A second toggle by the same participant removes only that reaction.
    const off = await react(room.code, message.id, bob.session_token, "👍");
    // Equal counts are ordered by emoji.
    expect(off.body).toMatchObject({ action: "removed", reactions: [{ emoji: "🇫🇷", count: 1 }, { emoji: "👍", count: 1 }] });
    const last = await react(room.code, message.id, bob.session_token, "🇫🇷");
    expect(last.body.reactions).toEqual([{ emoji: "👍", count: 1 }]);
    expect((await history(room.code)).messages[0].reactions).toEqual([{ emoji: "👍", count: 1 }]);
    const read = await api("GET", `/api/chats/${room.code}/messages/${message.id}/reactions/`);
    expect(read.body).toEqual({ message_id: message.id, reactions: [{ emoji: "👍", count: 1 }] });
    watcher.close();
  });

  it("reads the counts from Postgres, whatever a Redis key of the old cache still says", async () => {
    const { room, alice, bob, message } = await roomWithMessage();
    await react(room.code, message.id, alice.session_token, "🔥");
    await react(room.code, message.id, bob.session_token, "🔥");
    const read = () => api("GET", `/api/chats/${room.code}/messages/${message.id}/reactions/`);
    expect((await read()).body.reactions).toEqual([{ emoji: "🔥", count: 2 }]);
    // A hash left by the reaction cache of an earlier release (it expires within a day) is never read.
    await redis().hset(`chat:${room.code}:reactions:${message.id}`, { "🔥": "7" });
    expect((await read()).body.reactions).toEqual([{ emoji: "🔥", count: 2 }]);

    const next = await react(room.code, message.id, alice.session_token, "🔥");
    expect(next.body.reactions).toEqual([{ emoji: "🔥", count: 1 }]);
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

describe("reactions are limited per participant", () => {
  it("caps the distinct emoji one participant puts on one message (a toggle off frees one)", async () => {
    const { room, alice, message } = await roomWithMessage();
    const emoji = ["👍", "❤️", "😂", "🔥", "🎉", "👀", "🙏"];
    for (const e of emoji.slice(0, 6)) expect((await react(room.code, message.id, alice.session_token, e)).body.action).toBe("added");
    const seventh = await react(room.code, message.id, alice.session_token, emoji[6]);
    expect([seventh.status, seventh.body.code, seventh.body.details.max_reactions]).toEqual([409, "REACTION_LIMIT", 6]);
    expect((await react(room.code, message.id, alice.session_token, emoji[0])).body.action).toBe("removed");
    expect((await react(room.code, message.id, alice.session_token, emoji[6])).body.action).toBe("added");
    const counts = await api("GET", `/api/chats/${room.code}/messages/${message.id}/reactions/`);
    expect(counts.body.reactions.length).toBe(6);
  });
});
