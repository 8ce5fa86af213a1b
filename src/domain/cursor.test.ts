// Pure rules, no I/O: cursor.ts beside this file.
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor";

describe("history cursors", () => {
  it("round-trips any seq and rejects anything else", () => {
    for (const seq of [1, 2, 500, 123_456_789, 2 ** 31 - 1]) expect(decodeCursor(encodeCursor(seq))).toBe(seq);
    // Beyond a Postgres integer: no page makes such a cursor.
    for (const seq of [2 ** 31, 2 ** 40]) expect(decodeCursor(encodeCursor(seq))).toBeNull();
    for (const junk of ["", "abc", "MTIz", encodeCursor(5) + "x", btoa("s1.0"), btoa("s1.-1"), btoa("s1.zzzzzzzzzzzz")]) {
      expect(decodeCursor(junk)).toBeNull();
    }
    expect(encodeCursor(42)).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
