// Pure rules, no I/O: usernames.ts beside this file.
import { describe, expect, it } from "vitest";
import { newUsernameProblem, usernameProblem, usernameSkeleton } from "./usernames";

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

describe("look-alike names", () => {
  it("share a skeleton when they read alike", () => {
    expect(usernameSkeleton("AI8pihk")).toBe(usernameSkeleton("Al8pihk"));
    expect(usernameSkeleton("r0bert")).toBe(usernameSkeleton("ROBERT"));
    expect(usernameSkeleton("rnike_1")).toBe(usernameSkeleton("mike_l"));
    expect(usernameSkeleton("vvalter")).toBe(usernameSkeleton("walter"));
    expect(usernameSkeleton("robert")).not.toBe(usernameSkeleton("roberta"));
  });

  it.each([
    ["Admin", "reserved_word"],
    ["admin_99", "reserved_word"],
    ["ChatPop", "reserved_word"],
    ["the_chatp0p", "reserved_word"],
    ["m0derator_1", "reserved_word"],
    ["SystemBot", "reserved_word"],
    ["Support_Team", "reserved_word"],
    ["host_1", "reserved_word"],
    ["robert", null],
    ["badminton", null],
    ["hostess_amy", null],
  ])("a new name %j → %s", (name, problem) => {
    expect(newUsernameProblem(name)).toBe(problem);
  });
});
