// Deleting a message: who may, and how it leaves history, the caches and every socket.
import { describe, expect, it } from "vitest";
import { api, connect, redis, type Client } from "./support/api";
import { history, react, remove, roomWithMessage } from "./support/room-actions";

describe("deletion", () => {
  it("removes the message from history and the Redis window, and tells every socket", async () => {
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
    expect(h.messages[0].reply_to_message).toEqual({ id: message.id, username: "alice_here", content: null, is_from_host: false });
    const window = (await redis().zrange<string[]>(`chat:${room.code}:messages`, 0, -1)).map((m) => JSON.parse(m));
    expect(window.map((m) => m.id)).toEqual([reply.body.id]);
    // The window was rewritten around its only member: it keeps its TTL (else it would never expire).
    expect(await redis().ttl(`chat:${room.code}:messages`)).toBeGreaterThan(23 * 3600);
    expect(window[0].reply_to_message.content).toBeNull();

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
