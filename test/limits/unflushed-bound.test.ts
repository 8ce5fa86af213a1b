// The room holds at most MAX_UNFLUSHED_MESSAGES (8 in this project) that
// Postgres does not have yet; past it, sends are refused as the seed refused
// every send during an outage, and nothing refused is stored.
import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom, settled, withPostgresDown } from "../support/api";

describe("the unflushed bound", () => {
  it("refuses sends with DB_UNAVAILABLE once the room holds the bound, and takes them again after the flush", async () => {
    const { room } = await newRoom();
    // Three senders: the limits project allows each socket a burst of 5.
    const senders = await Promise.all(["s1", "s2", "s3"].map(async (n) => connect(room.code, (await join(room.code, `bound_${n}`)).session_token)));
    const [a, b, c] = senders as [(typeof senders)[0], (typeof senders)[0], (typeof senders)[0]];
    c.send({ message: "first" });
    await b.waitForMessages(1);
    await settled(room.code);
    await withPostgresDown(async () => {
      for (let i = 0; i < 8; i++) (i % 2 ? a : b).send({ message: `held ${i}`, client_id: `h${i}` });
      await a.waitForMessages(9);
      b.send({ message: "one too many", client_id: "over" });
      expect(await b.nextFrame("error")).toMatchObject({ code: "DB_UNAVAILABLE", client_id: "over" });
    });
    await settled(room.code);
    c.send({ message: "after", client_id: "after" });
    await a.waitForMessages(10);
    await settled(room.code);
    const stored = (await api("GET", `/api/chats/${room.code}/messages/`)).body.messages.map((m: any) => m.content);
    expect(stored).toEqual(["first", ...a.messages().slice(1, 9).map((m) => m.content), "after"]);
    expect(stored.filter((c: string) => c.startsWith("held")).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `held ${i}`));
    expect(a.messages().map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    senders.forEach((s) => s.close());
  });
});
