// Pure rules, no I/O: reactions.ts beside this file.
import { describe, expect, it } from "vitest";
import { emojiProblem, sortReactions } from "./reactions";

describe("reactions", () => {
  it("takes exactly one emoji of at most 10 UTF-16 units", () => {
    for (const ok of ["👍", "❤️", "👍🏽", "🇫🇷", "1️⃣", "🏳️‍🌈"]) expect(emojiProblem(ok), ok).toBeNull();
    expect(emojiProblem("")).toBe("empty");
    expect(emojiProblem("👍👍")).toBe("not_one");
    expect(emojiProblem("👍".repeat(50))).toBe("too_long");
    expect(emojiProblem("👨‍👩‍👧‍👦")).toBe("too_long");
    for (const text of ["a", "1", "x\u0301", "a\u20e3", "\u200b"]) expect(emojiProblem(JSON.parse(`"${text}"`)), text).toBe("not_emoji");
  });

  it("orders counts by count, then emoji, dropping zeros", () => {
    expect(
      sortReactions([
        { emoji: "👍", count: 1 },
        { emoji: "🔥", count: 3 },
        { emoji: "🇫🇷", count: 1 },
        { emoji: "😀", count: 0 },
      ]),
    ).toEqual([
      { emoji: "🔥", count: 3 },
      { emoji: "🇫🇷", count: 1 },
      { emoji: "👍", count: 1 },
    ]);
  });
});
