// Session tokens travel as a WebSocket subprotocol or a header, never in a URL the client need not use.
import { describe, expect, it } from "vitest";
import { Client, connectRaw } from "./support/api";
import { roomWithMessage } from "./support/room-actions";
import { CLOSE_BAD_TOKEN, protocolsFor } from "../src/protocol";

describe("tokens stay out of URLs", () => {
  it("the socket takes the session token as a subprotocol and answers `chatpop`", async () => {
    const { room, alice } = await roomWithMessage();
    const res = await connectRaw(room.code, "", { "Sec-WebSocket-Protocol": protocolsFor(alice.session_token).join(", ") });
    expect(res.status).toBe(101);
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("chatpop");
    res.webSocket!.accept();
    const client = new Client(res.webSocket!);
    client.send({ message: "via subprotocol" });
    expect((await client.nextFrame("message")).content).toBe("via subprotocol");
    client.close();
    const bad = await connectRaw(room.code, "", { "Sec-WebSocket-Protocol": protocolsFor("forged").join(", ") });
    expect(bad.headers.get("Sec-WebSocket-Protocol")).toBe("chatpop");
    bad.webSocket!.accept();
    expect((await new Client(bad.webSocket!).waitForClose()).code).toBe(CLOSE_BAD_TOKEN);
  });
});
