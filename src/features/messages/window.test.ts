import { describe, expect, it } from "vitest";
import { countWithin } from "./window";

describe("window budget", () => {
  it("keeps the newest messages up to the count", () => {
    expect(countWithin([10, 10, 10, 10], { maxCount: 3, maxBytes: 1000 })).toBe(3);
  });
  it("stops at the first message that would pass the byte budget", () => {
    expect(countWithin([40, 40, 40, 1], { maxCount: 10, maxBytes: 100 })).toBe(2);
  });
  it("always keeps the newest message, even one larger than the budget", () => {
    expect(countWithin([500, 1], { maxCount: 10, maxBytes: 100 })).toBe(1);
  });
  it("keeps nothing of nothing", () => {
    expect(countWithin([], { maxCount: 10, maxBytes: 100 })).toBe(0);
  });
});
