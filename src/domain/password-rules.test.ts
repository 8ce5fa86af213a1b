import { describe, expect, it } from "vitest";
import { passwordProblem } from "./password-rules";

describe("password rules", () => {
  it("refuses common, blank and one-character passwords, whatever their case", () => {
    expect(passwordProblem("Password123")).toBe("common");
    expect(passwordProblem("QWERTYUIOP")).toBe("common");
    expect(passwordProblem("        ")).toBe("whitespace");
    expect(passwordProblem("\t \t \t \t")).toBe("whitespace");
    expect(passwordProblem("zzzzzzzzzz")).toBe("repetitive");
  });

  it("keeps the rest", () => {
    for (const ok of ["correct horse battery", "sturdy-pass-42", "Tr0ub4dor&3", "  spaced out  "]) expect(passwordProblem(ok)).toBeNull();
  });
});
