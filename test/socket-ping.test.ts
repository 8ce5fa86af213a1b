// Keep-alives: the exact ping text is answered by the runtime without waking the
// room (a hibernated room pays nothing for them); other spellings still get a pong.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PING_TEXT, PONG_TEXT } from "../src/protocol";
import { connect, join, newRoom } from "./support/api";

describe("pings", () => {
  it("are answered by the room's auto-response, byte for byte", async () => {
    const { room } = await newRoom();
    const me = await join(room.code);
    const client = await connect(room.code, me.session_token);
    client.send(PING_TEXT);
    expect(await client.nextFrame("pong")).toEqual(JSON.parse(PONG_TEXT));
    const pair = await runInDurableObject(env.CHAT_ROOM.getByName(room.code), (_room, state) => state.getWebSocketAutoResponse());
    expect({ request: pair?.request, response: pair?.response }).toEqual({ request: '{"type":"ping"}', response: '{"type":"pong"}' });
    client.close();
  });

  it("with other spacing still get a pong from the room itself", async () => {
    const { room } = await newRoom();
    const me = await join(room.code);
    const client = await connect(room.code, me.session_token);
    client.send('{ "type": "ping" }');
    expect(await client.nextFrame("pong")).toEqual({ type: "pong" });
    client.close();
  });
});
