// Pure rules, no I/O: passwords.ts beside this file.
import { describe, expect, it } from "vitest";
import { PBKDF2_ITERATIONS, hashSecret, sameBytes, verifySecret } from "./passwords";

describe("passwords", () => {
  it("hash with PBKDF2-SHA256, a random salt and 100,000 iterations, and verify", async () => {
    const a = await hashSecret("hunter2hunter2");
    const b = await hashSecret("hunter2hunter2");
    expect(a).not.toBe(b);
    expect(a.split("$").slice(0, 2)).toEqual(["pbkdf2-sha256", String(PBKDF2_ITERATIONS)]);
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(100_000);
    expect(await verifySecret("hunter2hunter2", a)).toBe(true);
    expect(await verifySecret("hunter2hunter3", a)).toBe(false);
    expect(await verifySecret("hunter2hunter2", "garbage")).toBe(false);
  });

  it("compare byte strings whole: equal only when every byte and the length agree", () => {
    const bytes = (t: string) => new TextEncoder().encode(t);
    expect(sameBytes(bytes("operator-token"), bytes("operator-token"))).toBe(true);
    expect(sameBytes(bytes("operator-tokeN"), bytes("operator-token"))).toBe(false);
    expect(sameBytes(bytes("operator"), bytes("operator-token"))).toBe(false);
    expect(sameBytes(bytes("operator-token-and-more"), bytes("operator-token"))).toBe(false);
    expect(sameBytes(bytes(""), bytes("operator-token"))).toBe(false);
  });
});
