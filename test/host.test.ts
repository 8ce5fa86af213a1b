// The host: the creator joined with a bearer token, whose messages are marked, and who alone holds host powers.
import { describe, expect, it } from "vitest";
import { api, connect, join, settled } from "./support/api";
import { ban, hostedRoom, listBans, sendRest, unban } from "./support/room-actions";

describe("the host", () => {
  it("is the creator joined with a bearer token; host messages are marked as such", async () => {
    const { host, room, hostSession } = await hostedRoom();
    expect(hostSession.is_host).toBe(true);
    expect(hostSession.username_is_reserved).toBe(true);
    // The same person joining without the account is just a guest.
    const anonymous = await join(room.code, "host_incog");
    expect(anonymous.is_host).toBe(false);
    const guest = await join(room.code, "plain_guest");
    expect(guest.is_host).toBe(false);

    const watcher = await connect(room.code, guest.session_token);
    const h = await connect(room.code, hostSession.session_token);
    h.send({ message: "welcome all", client_id: "h1" });
    const [hostMsg] = await watcher.waitForMessages(1);
    expect(hostMsg).toMatchObject({ content: "welcome all", message_type: "host", is_from_host: true, username: host.user.reserved_username });
    watcher.send({ message: "thanks", client_id: "g1" });
    const msgs = await h.waitForMessages(2);
    expect(msgs[1]).toMatchObject({ content: "thanks", message_type: "normal", is_from_host: false });
    await settled(room.code);
    const history = (await api("GET", `/api/chats/${room.code}/messages/`)).body.messages;
    expect(history.map((m: any) => [m.content, m.message_type, m.is_from_host])).toEqual([
      ["welcome all", "host", true],
      ["thanks", "normal", false],
    ]);
    watcher.close();
    h.close();
  });

  it("alone holds host powers", async () => {
    const { room, hostSession } = await hostedRoom();
    const guest = await join(room.code, "not_the_host");
    const target = await join(room.code, "some_target");
    const tries = [
      await ban(room.code, guest.session_token, { username: "some_target" }),
      await listBans(room.code, guest.session_token),
      await unban(room.code, guest.session_token, crypto.randomUUID()),
    ];
    for (const res of tries) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("HOST_ONLY");
    }
    const noSession = await api("POST", `/api/chats/${room.code}/bans/`, { body: { username: "some_target" } });
    expect(noSession.status).toBe(401);
    expect(noSession.body.code).toBe("SESSION_REQUIRED");
    // A host session of another room has no power here.
    const other = await hostedRoom();
    expect((await ban(room.code, other.hostSession.session_token, { username: "some_target" })).status).toBe(403);
    expect((await listBans(room.code, hostSession.session_token)).body.bans).toEqual([]);
    expect((await sendRest(room.code, target.session_token, "still here")).status).toBe(201);
  });
});
