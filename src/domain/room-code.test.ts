// Pure rules, no I/O: room-code.ts beside this file.
import { describe, expect, it } from "vitest";
import { canonicalRoomPath, isRoomCode, newRoomCode } from "./room-code";

describe("room codes", () => {
  it("are 8 URL-safe characters and differ", () => {
    const codes = new Set(Array.from({ length: 200 }, newRoomCode));
    expect(codes.size).toBe(200);
    for (const c of codes) expect(isRoomCode(c)).toBe(true);
    for (const bad of ["", "ABCDEFGH", "abc", "abcdefgh1", "chat:*ab", "zcmly63_"]) expect(isRoomCode(bad)).toBe(false);
  });

  it("take the original ChatPop's codes (A–Z, 0–9) in any case, as one lower-case spelling", () => {
    expect(isRoomCode("zcmly634")).toBe(true);
    expect(isRoomCode("0oil1abc")).toBe(true);
    expect(canonicalRoomPath("/api/chats/ZCMLY634/")).toBe("/api/chats/zcmly634/");
    expect(canonicalRoomPath("/api/chats/ZcMlY634/messages/send/")).toBe("/api/chats/zcmly634/messages/send/");
    expect(canonicalRoomPath("/ws/chat/ZCMLY634/")).toBe("/ws/chat/zcmly634/");
    expect(canonicalRoomPath("/ws/chat/ZCMLY634")).toBe("/ws/chat/zcmly634");
    for (const same of ["/api/chats/zcmly634/", "/api/chats/my-chats/", "/api/chats/create/", "/api/chats/ZCMLY6345/", "/api/auth/ABCDEFGH/"]) {
      expect(canonicalRoomPath(same)).toBeNull();
    }
  });
});
