// One error shape everywhere: the same bad input gets the same code over REST
// and over the socket, and socket errors carry `details` as REST bodies do.
import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom } from "./support/api";
import { encodeCursor } from "../src/domain/cursor";

async function socketAndRest() {
  const { room } = await newRoom();
  const me = await join(room.code);
  const client = await connect(room.code, me.session_token);
  const rest = (rawBody: string) =>
    api("POST", `/api/chats/${room.code}/messages/send/`, { rawBody, headers: { "X-Session-Token": me.session_token } });
  const socket = async (frame: string) => {
    client.send(frame);
    const { type, ...body } = await client.nextFrame("error");
    expect(type).toBe("error");
    return body;
  };
  return { client, rest, socket };
}

describe("errors", () => {
  it.each([
    ["a JSON array", "[1,2]", "INVALID_JSON"],
    ["a JSON string", '"hi"', "INVALID_JSON"],
    ["text that is not JSON", "{nope", "INVALID_JSON"],
    ["a message that is a number", '{"message":5}', "VALIDATION_ERROR"],
    ["a blank message", '{"message":"  "}', "MESSAGE_EMPTY"],
  ])("%s: the same code over REST and the socket", async (_name, input, code) => {
    const { client, rest, socket } = await socketAndRest();
    const viaRest = await rest(input);
    const viaSocket = await socket(input);
    expect(viaRest.status).toBeGreaterThanOrEqual(400);
    expect([viaRest.body.code, viaSocket.code]).toEqual([code, code]);
    client.close();
  });

  it("carry details on the socket as over REST", async () => {
    const { client, rest, socket } = await socketAndRest();
    const input = JSON.stringify({ message: "hi", client_id: 7 });
    const viaSocket = await socket(input);
    expect(viaSocket).toEqual({
      error: "`client_id` must be a string.",
      detail: "`client_id` must be a string.",
      code: "VALIDATION_ERROR",
      details: { fields: [{ field: "client_id", message: "`client_id` must be a string." }] },
    });
    const viaRest = await rest(input);
    expect(viaRest).toMatchObject({ status: 400, body: viaSocket });
    client.close();
  });
});

describe("no 500 on bad input", () => {
  it("a history cursor past a 32-bit seq is 400 INVALID_CURSOR", async () => {
    const { room } = await newRoom();
    for (const before of [encodeCursor(2 ** 31), encodeCursor(2 ** 40)]) {
      const res = await api("GET", `/api/chats/${room.code}/messages/?before=${before}`);
      expect([res.status, res.body.code]).toEqual([400, "INVALID_CURSOR"]);
    }
  });
});
