// Pure rules, no I/O: cursor.ts beside this file.
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, parseBefore } from "./cursor";

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

  it("also takes the original ChatPop's timestamps: Unix seconds or ISO 8601, as the first whole millisecond at or after", () => {
    const at = (text: string) => {
      const b = parseBefore(text);
      return b && "time" in b ? b.time.toISOString() : b;
    };
    expect(at("1700000000")).toBe("2023-11-14T22:13:20.000Z");
    expect(at("1700000000.123")).toBe("2023-11-14T22:13:20.123Z");
    expect(at("1700000000.1231")).toBe("2023-11-14T22:13:20.124Z");
    expect(at("2023-11-14T22:13:20.123Z")).toBe("2023-11-14T22:13:20.123Z");
    expect(at("2023-11-14T22:13:20.123456+00:00")).toBe("2023-11-14T22:13:20.124Z");
    expect(at("2023-11-15T00:13:20+02:00")).toBe("2023-11-14T22:13:20.000Z");
    expect(at("99999999999")).toBe("5138-11-16T09:46:39.000Z");
    expect(parseBefore(encodeCursor(7))).toEqual({ seq: 7 });
    for (const junk of ["", "-5", "1e9", "12.", "2023-02-30T00:00:00Z", "2023-11-14T25:00:00Z", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13:20+15:00", "NaN", "0x10"]) {
      expect(parseBefore(junk), junk).toBeNull();
    }
  });
});
