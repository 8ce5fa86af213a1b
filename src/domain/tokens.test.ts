// Pure rules, no I/O: tokens.ts beside this file.
import { describe, expect, it } from "vitest";
import { signSessionToken, signUserToken, verifySessionToken, verifyUserToken } from "./tokens";

describe("tokens", () => {
  const claims = {
    roomCode: "abcdefgh",
    roomId: "11111111-1111-4111-8111-111111111111",
    participationId: "22222222-2222-4222-8222-222222222222",
    userId: null,
    username: "robert",
    isHost: false,
    usernameIsReserved: false,
    authSessionId: null,
  };

  it("bind a session token to its room, secret and expiry", async () => {
    const token = await signSessionToken(claims, "s1");
    expect(await verifySessionToken(token, "s1", "abcdefgh")).toEqual(claims);
    expect(await verifySessionToken(token, "s1", "hgfedcba")).toBeNull();
    expect(await verifySessionToken(token, "s2", "abcdefgh")).toBeNull();
    expect(await verifySessionToken(await signSessionToken(claims, "s1", -1), "s1", "abcdefgh")).toBeNull();
  });

  it("carry the login a session was minted under, so logging out can end it", async () => {
    const loggedIn = { ...claims, userId: claims.roomId, authSessionId: "33333333-3333-4333-8333-333333333333" };
    expect(await verifySessionToken(await signSessionToken(loggedIn, "s1"), "s1", "abcdefgh")).toEqual(loggedIn);
  });

  it("never accept one kind of token as the other", async () => {
    const user = await signUserToken({ userId: claims.participationId, authSessionId: claims.roomId }, "s1");
    const session = await signSessionToken(claims, "s1");
    expect(await verifyUserToken(user, "s1")).toEqual({ userId: claims.participationId, authSessionId: claims.roomId });
    expect(await verifyUserToken(session, "s1")).toBeNull();
    expect(await verifySessionToken(user, "s1", "abcdefgh")).toBeNull();
  });

  it("refuses the none algorithm", async () => {
    const [, payload] = (await signSessionToken(claims, "s1")).split(".");
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${payload}.`;
    expect(await verifySessionToken(none, "s1", "abcdefgh")).toBeNull();
  });
});
