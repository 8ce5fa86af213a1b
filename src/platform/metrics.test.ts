import { describe, expect, it } from "vitest";
import { Metrics, REFUSALS_EVERY_MS, dataPointOf } from "./metrics";

describe("metric data points", () => {
  it("keep the documented layout: index the room, blobs kind/room/channel-or-code, doubles messages/ms/lag/unflushed", () => {
    expect(dataPointOf({ kind: "flush", room: "abcd1234", messages: 7, flush_ms: 12, lag_ms: 40, unflushed: 3 })).toEqual({
      indexes: ["abcd1234"],
      blobs: ["flush", "abcd1234", ""],
      doubles: [7, 12, 40, 3],
    });
    expect(dataPointOf({ kind: "refusal", room: "abcd1234", code: "RATE_LIMITED", count: 9 })).toEqual({
      indexes: ["abcd1234"],
      blobs: ["refusal", "abcd1234", "RATE_LIMITED"],
      doubles: [9, 0, 0, 0],
    });
  });

  it("write a refusal code at once, then at most once an interval with the count since", () => {
    const written: AnalyticsEngineDataPoint[] = [];
    let now = 1_000_000;
    const metrics = new Metrics({ METRICS: { writeDataPoint: (p) => void written.push(p!) } as AnalyticsEngineDataset }, () => now);
    for (let i = 0; i < 50; i++) metrics.refused("abcd1234", "RATE_LIMITED");
    metrics.refused("abcd1234", "BANNED");
    expect(written.map((p) => [p.blobs![2], p.doubles![0]])).toEqual([["RATE_LIMITED", 1], ["BANNED", 1]]);
    now += REFUSALS_EVERY_MS;
    metrics.refused("abcd1234", "RATE_LIMITED");
    expect(written.at(-1)!.doubles![0]).toBe(50);
  });

  it("never lets a failing dataset fail the caller", () => {
    const metrics = new Metrics({ METRICS: { writeDataPoint: () => { throw new Error("over the limit"); } } as AnalyticsEngineDataset });
    expect(() => metrics.write({ kind: "cache", room: "r", channel: "main", messages: 1, append_ms: 1 })).not.toThrow();
  });
});
