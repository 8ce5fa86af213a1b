import { describe, expect, it } from "vitest";
import { displayText, findBadText, inert, textProblem } from "./text";

describe("text rule", () => {
  it("keeps newlines, tabs, emoji and other scripts", () => {
    for (const ok of ["hello\nworld", "a\tb", "👍🏽 ok", "Ærøskøbing", "日本語", "e\u0301", ""]) expect(textProblem(ok)).toBeNull();
  });

  it("refuses C0, DEL and C1 controls other than newline and tab", () => {
    for (const bad of ["a\u0000b", "\r\n", "\u001b[31mred", "\u007f", "\u0085", "\u009b"]) expect(textProblem(bad)).toBe("control_character");
  });

  it("refuses lone surrogates, high or low, anywhere", () => {
    for (const bad of ["\ud800", "x\udc00", "\ud83d", "ok\ud83d\ud83d\ude00"]) expect(textProblem(bad)).toBe("lone_surrogate");
    expect(textProblem("\ud83d\ude00")).toBeNull();
  });

  it("finds the first bad string in nested values and keys, with its path", () => {
    expect(findBadText({ a: "ok", b: { c: ["fine", "no\u0000"] } })).toEqual({ field: "b.c.1", problem: "control_character" });
    expect(findBadText({ ["k\u0001"]: 1 })).toEqual({ field: "(key)", problem: "control_character" });
    expect(findBadText({ n: 1, t: true, z: null })).toBeNull();
  });
});

describe("inert", () => {
  it("shows controls, bidi overrides and lone surrogates as escapes, and leaves the rest", () => {
    expect(inert("a\u202Eb\u001b[2Jc\nd\ud800")).toBe("a\\u202Eb\\u001B[2Jc\\u000Ad\\uD800");
    expect(inert("héllo 👍 日本")).toBe("héllo 👍 日本");
  });
});

describe("displayText", () => {
  it("drops bidi overrides and isolates, and cuts runs of combining marks to three", () => {
    expect(displayText("My \u202Egnp.exe\u202C room")).toBe("My gnp.exe room");
    expect(displayText("a\u2066b\u2069c")).toBe("abc");
    expect(displayText("q\u0301\u0302\u0303\u0304\u0305\u0306 algo")).toBe("q\u0301\u0302\u0303 algo");
    expect(displayText("Tiếng Việt café")).toBe("Tiếng Việt café");
  });
});
