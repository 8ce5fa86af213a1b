// Pure rules, no I/O: rate-limits.ts beside this file.
import { describe, expect, it } from "vitest";
import { parseRateLimit, rateLimitRule, retryAfterSeconds } from "./rate-limits";

describe("rate-limit rules", () => {
  it("parses <requests>/<window> and falls back to the default, never to no limit", () => {
    expect(parseRateLimit("30/1 m")).toEqual({ requests: 30, window: "1 m" });
    expect(parseRateLimit(" 5 / 10s ")).toEqual({ requests: 5, window: "10 s" });
    for (const bad of ["", "30", "0/1 m", "30/0 s", "x/1 m", "30/1 weeks", "-1/1 m"]) expect(parseRateLimit(bad), bad).toBeNull();
    expect(rateLimitRule("join", "nonsense")).toEqual({ requests: 30, window: "1 m" });
    expect(rateLimitRule("login", "3/1 h")).toEqual({ requests: 3, window: "1 h" });
  });

  it("tells a refused caller to wait at least a second", () => {
    expect(retryAfterSeconds(10_500, 10_000)).toBe(1);
    expect(retryAfterSeconds(10_000, 10_000)).toBe(1);
    expect(retryAfterSeconds(70_001, 10_000)).toBe(61);
  });
});
