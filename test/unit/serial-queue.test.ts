// The room's one ordered path: work runs in the order it was queued, one at a
// time, and a failure does not stop what comes after it.
import { describe, expect, it } from "vitest";
import { SerialQueue } from "../../src/room/serial-queue";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SerialQueue", () => {
  it("runs work one at a time in the order it was queued, whatever each takes", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const job = (name: string, ms: number) =>
      queue.run(async () => {
        log.push(`start ${name}`);
        await sleep(ms);
        log.push(`end ${name}`);
        return name;
      });
    expect(await Promise.all([job("slow", 30), job("fast", 0), job("mid", 10)])).toEqual(["slow", "fast", "mid"]);
    expect(log).toEqual(["start slow", "end slow", "start fast", "end fast", "start mid", "end mid"]);
  });

  it("hands a failure to its caller and goes on with the next", async () => {
    const queue = new SerialQueue();
    const failed = queue.run(async () => {
      throw new Error("boom");
    });
    const next = queue.run(async () => "after");
    await expect(failed).rejects.toThrow("boom");
    expect(await next).toBe("after");
  });
});
