// A client's close always completes: whatever code it closes with (none at all,
// as browsers do by default; 1000; an application code), it gets its close event.
import { describe, expect, it } from "vitest";
import { connect, join, newRoom } from "./support/api";

async function closeWith(code?: number) {
  const { room } = await newRoom();
  const me = await join(room.code);
  const client = await connect(room.code, me.session_token);
  await client.nextFrame("presence");
  if (code === undefined) client.ws.close();
  else client.ws.close(code, "leaving");
  return client.waitForClose();
}

describe("closing a socket from the client", () => {
  it("completes for close() without a status code (the room answers 1005 with 1000)", async () => {
    expect(await closeWith()).toEqual({ code: 1000, reason: "" });
  });

  it("completes for close(1000)", async () => {
    expect((await closeWith(1000)).code).toBe(1000);
  });

  it("completes for an application code, echoed back", async () => {
    expect((await closeWith(4000)).code).toBe(4000);
  });
});
