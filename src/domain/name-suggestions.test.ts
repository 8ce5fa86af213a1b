import { describe, expect, it } from "vitest";
import { nameCandidates } from "./name-suggestions";
import { newUsernameProblem } from "./usernames";

describe("name suggestions", () => {
  it("are distinct names that pass the username rules", () => {
    const names = nameCandidates(50);
    expect(new Set(names).size).toBe(50);
    for (const name of names) {
      expect(name).toMatch(/^[A-Z][a-z]+[A-Z][a-z]+\d{2}$/);
      expect(newUsernameProblem(name), name).toBeNull();
    }
  });

  it("follow the random source, so a fixed source gives fixed names", () => {
    let n = 0;
    const counter = () => n++;
    expect(nameCandidates(2, counter)).toEqual(["AmberBeacon02", "CalmFalcon05"]);
  });
});
