// Names: the host's reserved name, look-alike skeletons, staff words, and what room names may hold.
import { describe, expect, it } from "vitest";
import { api, register, unique, newRoom } from "./support/api";
import { hostedRoom } from "./support/room-actions";

describe("the host's name is the host's in their rooms", () => {
  it("refuses an anonymous join under the host's reserved username, and validate says so", async () => {
    const { host, room } = await hostedRoom();
    const res = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: host.user.reserved_username.toUpperCase(), fingerprint: "fp-x" } });
    expect([res.status, res.body.code]).toEqual([409, "USERNAME_RESERVED"]);
    const v = await api("POST", `/api/chats/${room.code}/validate-username/`, { body: { username: host.user.reserved_username, fingerprint: "fp-x" } });
    expect(v.body.available).toBe(false);
  });
});

describe("names cannot impersonate", () => {
  it("reserved usernames are unique on a look-alike skeleton and staff words cannot be taken", async () => {
    const first = await register(`AI8pihk${unique().slice(0, 4)}`);
    const lookalike = first.user.reserved_username.replace("AI", "Al");
    const reg = (reserved_username: string) =>
      api("POST", "/api/auth/register/", { body: { email: `${unique("e")}@example.com`, password: "sturdy-pass-42", reserved_username } });
    expect((await reg(lookalike)).body.code).toBe("USERNAME_TAKEN");
    for (const name of ["ChatPop", "Admin_1", "moderat0r", "SystemBot", "the_chatpop"]) {
      const res = await reg(name);
      expect([name, res.status, res.body.code, res.body.details?.reason]).toEqual([name, 400, "INVALID_USERNAME", "reserved_word"]);
    }
    const { room } = await newRoom();
    const anon = await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "ChatPop", fingerprint: "fp-imp" } });
    expect(anon.body.details?.reason).toBe("reserved_word");
    // A logged-in user cannot chat under a look-alike of another account's reserved name.
    const other = await register();
    const asLookalike = await api("POST", `/api/chats/${room.code}/join/`, { token: other.token, body: { username: lookalike } });
    expect(asLookalike.body.code).toBe("USERNAME_RESERVED");
  });

  it("room names and descriptions drop bidi overrides and towers of combining marks", async () => {
    const host = await register();
    const res = await api("POST", "/api/chats/create/", {
      token: host.token,
      body: { name: "Free \u202Egnp.exe\u202C stuff", description: "q\u0301\u0302\u0303\u0304\u0305\u0306\u0307 tall \u2066x\u2069" },
    });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe("Free gnp.exe stuff");
    expect(res.body.description).toBe("q\u0301\u0302\u0303 tall x");
    const empty = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "\u202E\u202C" } });
    expect(empty.body.code).toBe("VALIDATION_ERROR");
  });
});
