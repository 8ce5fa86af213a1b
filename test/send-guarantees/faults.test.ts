import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom, redis, unique, withPostgresDown } from "../support/api";

// Strict commit (SEND_COMMIT=postgres) refuses sends while Postgres is away; room commit
// takes them and flushes later (test/commit.test.ts).
describe.runIf(env.SEND_COMMIT === "postgres")("when Postgres cannot be reached", () => {
  it("refuses the send with DB_UNAVAILABLE, caches and broadcasts nothing, and recovers by itself", async () => {
    const { room } = await newRoom();
    const a = await connect(room.code, (await join(room.code, unique("alice_"))).session_token);
    const b = await connect(room.code, (await join(room.code, unique("bobby_"))).session_token);
    a.send({ message: "before" });
    await b.waitForMessages(1);

    await withPostgresDown(async () => {
      a.send({ message: "lost?", client_id: "during-outage" });
      const err = await a.nextFrame("error");
      expect(err).toMatchObject({ type: "error", code: "DB_UNAVAILABLE", client_id: "during-outage" });
      // REST answers 503 with the same code.
      const history = await api("GET", `/api/chats/${room.code}/messages/`);
      expect(history).toMatchObject({ status: 503, body: { code: "DB_UNAVAILABLE" } });
    });

    // The sockets stayed open; the next send is stored with the next seq, with no gap.
    a.send({ message: "after" });
    const got = await b.waitForMessages(2);
    expect(got.map((m) => [m.seq, m.content])).toEqual([
      [1, "before"],
      [2, "after"],
    ]);
    expect(b.frames.filter((f) => f.type === "error")).toEqual([]);
    const members = (await redis().zrange(`chat:${room.code}:messages`, 0, -1)) as string[];
    expect(members.map((m) => JSON.parse(m).content)).toEqual(["before", "after"]);
    const history = await api("GET", `/api/chats/${room.code}/messages/`);
    expect(history.body.messages.map((m: any) => m.content)).toEqual(["before", "after"]);
    a.close();
    b.close();
  });
});
