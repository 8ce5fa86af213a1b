// decideJoin: what a join becomes from what it read. The route's tests drive the same rules
// through the API (test/rooms.test.ts, test/bans.test.ts, test/identity.test.ts); these pin the
// order of the rules, which no single request shows.
import { describe, expect, it } from "vitest";
import { decideJoin, type JoinReads } from "../../src/features/rooms/join-decision";
import type { ChatBanRow, ParticipationRow } from "../../src/platform/schema";
import type { RoomWithHost } from "../../src/features/rooms/queries";
import type { Authenticated } from "../../src/features/accounts/auth";

const room = { id: "room-1", code: "abcd1234", hostId: "host-user", hostReservedUsername: "TheHost" } as RoomWithHost;
const host = { user: { id: "host-user", reservedUsername: "TheHost" }, authSessionId: "s1" } as Authenticated;
const member = { user: { id: "user-2", reservedUsername: "Verified" }, authSessionId: "s2" } as Authenticated;
const ban = { reason: "spam", expiresAt: null } as ChatBanRow;
const returning = { id: "p-1", username: "alice" } as ParticipationRow;

const reads = (over: Partial<JoinReads> = {}): JoinReads => ({
  room,
  auth: null,
  participation: null,
  returningBan: null,
  newBan: null,
  reservedByOther: false,
  ...over,
});

describe("decideJoin", () => {
  it("returns a participant to the participation it has, whatever name it asks for now", () => {
    expect(decideJoin(reads({ participation: returning }), { username: "not even valid!" })).toEqual({ kind: "reuse", participation: returning, isHost: false });
  });

  it("refuses a returning participant that a ban covers, but never the host in its own room", () => {
    expect(decideJoin(reads({ participation: returning, returningBan: ban }), { username: "alice" })).toMatchObject({ kind: "refuse", error: { status: 403, code: "BANNED" } });
    expect(decideJoin(reads({ auth: host, participation: returning, returningBan: ban }), { username: "alice" })).toMatchObject({ kind: "reuse", isHost: true });
  });

  it("creates a participation for a new, valid, free name", () => {
    expect(decideJoin(reads(), { username: "bob_99" })).toEqual({ kind: "create", usernameIsReserved: false, isHost: false });
    expect(decideJoin(reads({ auth: member }), { username: "verified" })).toEqual({ kind: "create", usernameIsReserved: true, isHost: false });
  });

  it("checks the name before the ban, so a banned caller with a bad name learns about the name", () => {
    expect(decideJoin(reads({ newBan: ban }), { username: "x" })).toMatchObject({ kind: "refuse", error: { code: "INVALID_USERNAME" } });
    expect(decideJoin(reads({ newBan: ban }), { username: "carol" })).toMatchObject({ kind: "refuse", error: { code: "BANNED" } });
  });

  it("keeps a reserved name for its account and the host's name for the host", () => {
    expect(decideJoin(reads({ auth: member, reservedByOther: true }), { username: "someone" })).toMatchObject({ kind: "refuse", error: { status: 409, code: "USERNAME_RESERVED" } });
    expect(decideJoin(reads(), { username: "thehost" })).toMatchObject({ kind: "refuse", error: { code: "USERNAME_RESERVED" } });
    expect(decideJoin(reads({ auth: host }), { username: "TheHost" })).toEqual({ kind: "create", usernameIsReserved: true, isHost: true });
  });
});
