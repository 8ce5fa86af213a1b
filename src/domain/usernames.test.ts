// Pure rules, no I/O: usernames.ts beside this file.
import { describe, expect, it } from "vitest";
import { usernameProblem } from "./usernames";

describe("usernames", () => {
  it.each([
    ["robert", null],
    ["Robert_99", null],
    ["abcde", null],
    ["a".repeat(15), null],
    ["abcd", "too_short"],
    ["", "too_short"],
    ["a".repeat(16), "too_long"],
    ["rob ert", "invalid_characters"],
    [" robert", "invalid_characters"],
    ["robert\n", "invalid_characters"],
    ["rob-ert", "invalid_characters"],
    ["Ꭱobert", "invalid_characters"],
    ["rоbert", "invalid_characters"], // Cyrillic о
    ["😀😀😀😀😀", "invalid_characters"],
    ["x';DROP", "invalid_characters"],
  ])("%j → %s", (name, problem) => {
    expect(usernameProblem(name)).toBe(problem);
  });
});
