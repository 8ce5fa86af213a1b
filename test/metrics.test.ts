// The metrics an operator queries (Analytics Engine data points, platform/metrics.ts):
// locally each point is also a `{"event":"metric",…}` log line, which this reads.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, join, newRoom, settled, withPostgresDown } from "./support/api";

type Point = Record<string, any>;

/** A new room and a participant in it. */
async function roomWith(username: string) {
  const { room } = await newRoom();
  return { code: room.code, session: (await join(room.code, username)).session_token };
}

/** Every metric point logged while fn runs, for one room. */
async function pointsDuring(code: string, fn: () => Promise<void>): Promise<Point[]> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  await fn();
  return lines
    .filter((l) => l.startsWith('{"event":"metric"'))
    .map((l) => JSON.parse(l) as Point)
    .filter((p) => p.room === code);
}

const sum = (points: Point[], field: string) => points.reduce((n, p) => n + p[field], 0);

afterEach(() => vi.restoreAllMocks());

describe("metrics", () => {
  it("a point per committed batch, per flush round (with its lag) and per Redis append, for the room", async () => {
    const { code, session } = await roomWith("alice_metrics");
    const points = await pointsDuring(code, async () => {
      for (const message of ["one", "two", "Body-Marker three"]) {
        expect((await api("POST", `/api/chats/${code}/messages/send/`, { body: { message, session_token: session } })).status).toBe(201);
      }
      await settled(code);
    });
    const commits = points.filter((p) => p.kind === "commit");
    const flushes = points.filter((p) => p.kind === "flush");
    const appends = points.filter((p) => p.kind === "cache");
    expect(sum(commits, "messages")).toBe(3);
    expect(commits.every((p) => p.channel === "main" && p.commit_ms >= 0 && p.unflushed >= 1)).toBe(true);
    expect(sum(flushes, "messages")).toBe(3);
    expect(flushes.every((p) => p.lag_ms >= 0 && p.flush_ms >= 0)).toBe(true);
    expect(flushes.at(-1)!.unflushed).toBe(0);
    expect(sum(appends, "messages")).toBe(3);
    expect(JSON.stringify(points)).not.toContain("Body-Marker");
  });

  it("while Postgres is away, commits report the unflushed rows the room holds; the flush after reports their lag", async () => {
    const { code, session } = await roomWith("alice_lag");
    await api("POST", `/api/chats/${code}/messages/send/`, { body: { message: "warm", session_token: session } });
    await settled(code);
    const points = await pointsDuring(code, async () => {
      await withPostgresDown(async () => {
        for (const message of ["a", "b"]) {
          expect((await api("POST", `/api/chats/${code}/messages/send/`, { body: { message, session_token: session } })).status).toBe(201);
        }
      });
      await settled(code);
    });
    const commits = points.filter((p) => p.kind === "commit");
    expect(commits.map((p) => p.unflushed)).toEqual([1, 2]);
    const flushed = points.filter((p) => p.kind === "flush");
    expect(sum(flushed, "messages")).toBe(2);
    expect(flushed.at(-1)!.unflushed).toBe(0);
  });

  it("refused sends: one point per code at once, then at most one per interval whatever the sender sends", async () => {
    const { code, session } = await roomWith("mallory_m");
    const points = await pointsDuring(code, async () => {
      for (let i = 0; i < 5; i++) {
        const res = await api("POST", `/api/chats/${code}/messages/send/`, { body: { message: "   ", session_token: session } });
        expect(res.status).toBe(400);
      }
      const back = await api("POST", `/api/chats/${code}/messages/send/`, { body: { message: "hi", channel: "backroom", session_token: session } });
      expect(back.status).toBe(403);
    });
    const refusals = points.filter((p) => p.kind === "refusal");
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/), count: 1 });
    expect(refusals[1]).toMatchObject({ code: "NOT_BACKROOM_MEMBER", count: 1 });
    expect(points.filter((p) => p.kind === "commit")).toHaveLength(0);
  });
});
