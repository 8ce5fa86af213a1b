// Pure rules, no I/O: room-code.ts beside this file.
import { describe, expect, it } from "vitest";
import { isRoomCode, newRoomCode } from "./room-code";

describe("room codes", () => {
  it("are 8 URL-safe characters and differ", () => {
    const codes = new Set(Array.from({ length: 200 }, newRoomCode));
    expect(codes.size).toBe(200);
    for (const c of codes) expect(isRoomCode(c)).toBe(true);
    for (const bad of ["", "ABCDEFGH", "abc", "abcdefgh1", "chat:*ab", "0oabcdef"]) expect(isRoomCode(bad)).toBe(false);
  });
});
