// Pure rules, no I/O: pricing.ts beside this file.
import { describe, expect, it } from "vitest";
import { amountProblem, formatUsd, minimumToOutbid, pinSeconds, pinTier, refundShare } from "./pricing";

describe("pin pricing", () => {
  it("follows ChatPop's tiers, the lower tier's time between tiers", () => {
    const minutes = (cents: number) => pinSeconds(cents) / 60;
    expect([100, 200, 500, 1000, 1500, 2000].map(minutes)).toEqual([10, 15, 20, 30, 45, 60]);
    expect(minutes(99)).toBe(0);
    expect(minutes(199)).toBe(10);
    expect(minutes(700)).toBe(20);
    expect(minutes(2500)).toBe(75);
    expect(minutes(2999)).toBe(75);
    expect(minutes(20_000)).toBe(600);
    expect(pinTier(50)).toBeNull();
    expect(pinSeconds(100, 0.2)).toBe(2);
  });

  it("asks the next tier above the top pin to take the top spot", () => {
    expect(minimumToOutbid(null)).toBe(100);
    expect(minimumToOutbid(100)).toBe(200);
    expect(minimumToOutbid(150)).toBe(200);
    expect(minimumToOutbid(500)).toBe(1000);
    expect(minimumToOutbid(2000)).toBe(2500);
    // Never above the most one payment may be: a $200 top pin can still be matched.
    expect(minimumToOutbid(20_000)).toBe(20_000);
    expect(minimumToOutbid(19_800)).toBe(20_000);
  });

  it("accepts only whole cents within bounds", () => {
    expect(amountProblem(100, 100, 200)).toBeNull();
    for (const bad of [99, 201, 1.5, -1, 0, "100", null, undefined, Number.NaN, Number.POSITIVE_INFINITY, [100]]) {
      expect(amountProblem(bad, 100, 200), String(bad)).not.toBeNull();
    }
    expect(formatUsd(500)).toBe("$5.00");
    expect(formatUsd(1234)).toBe("$12.34");
  });
});

describe("refundShare", () => {
  it("takes back the refunded fraction of the amount and of the time it bought", () => {
    expect(refundShare(100, 600, 100)).toEqual({ cents: 100, seconds: 600 });
    expect(refundShare(100, 600, 1)).toEqual({ cents: 1, seconds: 6 });
    expect(refundShare(2000, 3600, 500)).toEqual({ cents: 500, seconds: 900 });
  });

  it("never takes back more than the payment gave, nor less than nothing", () => {
    expect(refundShare(100, 600, 5000)).toEqual({ cents: 100, seconds: 600 });
    expect(refundShare(100, 600, -20)).toEqual({ cents: 0, seconds: 0 });
  });
});
