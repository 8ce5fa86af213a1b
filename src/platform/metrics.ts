// Numbers an operator watches, as Workers Analytics Engine data points (the METRICS
// binding, dataset "chatpop_edge"), queried with the SQL API (docs/DEPLOY.md, Metrics).
// A point is written per committed batch, per flush round, per Redis append, and per
// kind of refused send at most once per REFUSALS_EVERY_MS (with how many since): a
// flooding client costs one point per interval, not one per frame. Writing a point
// is not awaited and never fails a send.
//
// Layout of a point (Analytics Engine keeps blobs, doubles and one index, by position):
//   index1 room code (the sampling key)
//   blob1  kind: "commit" | "flush" | "cache" | "refusal"
//   blob2  room code
//   blob3  channel ("main" | "backroom"), or the refusal's error code
//   double1 messages (refusal: how many since the last point of that code)
//   double2 ms: commit: from the batch's first send reaching the room to the batch in its storage
//           (the wait before the broadcast; workerd's clock moves only across I/O, so the
//           synchronous SQLite write alone would read 0); flush: the Postgres INSERT; cache: the Redis append
//   double3 flush lag ms: from the oldest message's commit to Postgres having it (flush only)
//   double4 unflushed rows the room holds after the batch or round (commit, flush)
// Locally (METRICS_LOG="true", set by the tests) each point is also a log line, `{"event":"metric",…}`.
import { logEvent } from "./log";

export type MetricPoint =
  | { kind: "commit"; room: string; channel: string; messages: number; commit_ms: number; unflushed: number }
  | { kind: "flush"; room: string; messages: number; flush_ms: number; lag_ms: number; unflushed: number }
  | { kind: "cache"; room: string; channel: string; messages: number; append_ms: number }
  | { kind: "refusal"; room: string; code: string; count: number };

export const REFUSALS_EVERY_MS = 10_000;

export interface MetricsEnv {
  METRICS?: AnalyticsEngineDataset;
  METRICS_LOG?: string;
}

/** The point as Analytics Engine stores it (the layout above). */
export function dataPointOf(p: MetricPoint): AnalyticsEngineDataPoint {
  switch (p.kind) {
    case "commit":
      return { indexes: [p.room], blobs: [p.kind, p.room, p.channel], doubles: [p.messages, p.commit_ms, 0, p.unflushed] };
    case "flush":
      return { indexes: [p.room], blobs: [p.kind, p.room, ""], doubles: [p.messages, p.flush_ms, p.lag_ms, p.unflushed] };
    case "cache":
      return { indexes: [p.room], blobs: [p.kind, p.room, p.channel], doubles: [p.messages, p.append_ms, 0, 0] };
    case "refusal":
      return { indexes: [p.room], blobs: [p.kind, p.room, p.code], doubles: [p.count, 0, 0, 0] };
  }
}

export class Metrics {
  private readonly refusals = new Map<string, { count: number; writtenAt: number }>();

  constructor(
    private readonly env: MetricsEnv,
    private readonly now: () => number = Date.now,
  ) {}

  write(point: MetricPoint): void {
    try {
      this.env.METRICS?.writeDataPoint(dataPointOf(point));
    } catch {
      // Over the per-invocation limit, or no dataset: the numbers are for watching, never worth a failed send.
    }
    if (this.env.METRICS_LOG === "true") logEvent("metric", point);
  }

  /** A send refused with this code: counted, and written at once unless this code was written within the interval. */
  refused(room: string, code: string): void {
    const now = this.now();
    const seen = this.refusals.get(code) ?? { count: 0, writtenAt: -Infinity };
    seen.count++;
    this.refusals.set(code, seen);
    if (now - seen.writtenAt < REFUSALS_EVERY_MS) return;
    this.write({ kind: "refusal", room, code, count: seen.count });
    seen.count = 0;
    seen.writtenAt = now;
  }
}
