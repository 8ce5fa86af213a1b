// Defence in depth behind the text rule: should a row reach the room that
// Postgres refuses for a reason other than being away (here a NUL, put in past
// the API's checks from inside the room), only that row is refused; the sends
// around it are stored. Runs in the worker project (room commit: the row was
// broadcast already and is marked rejected) and the strict one (the send is
// refused with INTERNAL_ERROR and never broadcast).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connect, join, newRoom } from "../support/api";
import { history } from "../support/room-actions";

const strict = env.SEND_COMMIT === "postgres";

describe("a row Postgres refuses", () => {
  it("fails only its own send: the honest sends of the same moment are stored", async () => {
    const { room } = await newRoom();
    const alice = await join(room.code, "alice_poison");
    const watcher = await connect(room.code, alice.session_token);
    const stub = env.CHAT_ROOM.getByName(room.code);
    const claims = JSON.parse(atob(alice.session_token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    const author = { participationId: claims.sub, userId: null, username: claims.name, usernameIsReserved: false, messageType: "normal" as const };
    const results: { ok: boolean; error?: { code: string } }[] = [];
    await runInDurableObject(stub, async (instance) => {
      // Past every check of the API: straight into the room's send pipeline.
      const pipeline = (instance as unknown as { parts: { pipeline(c: string): { submit(...a: unknown[]): Promise<{ ok: boolean; error?: { code: string } }> } } }).parts.pipeline("main");
      const sends = ["honest 1", "poison \u0000 row", "honest 2", "honest 3"].map((message, i) =>
        pipeline.submit(author, { message, reply_to_id: null, client_id: `c${i}` }, null),
      );
      results.push(...(await Promise.all(sends)));
    });
    expect(results.map((r) => r.ok)).toEqual(strict ? [true, false, true, true] : [true, true, true, true]);
    if (strict) expect(results[1]!.error?.code).toBe("INTERNAL_ERROR");
    const stored = (await history(room.code)).messages.map((m: any) => m.content);
    expect(stored).toEqual(["honest 1", "honest 2", "honest 3"]);
    await watcher.until("the broadcasts", () => watcher.messages().length >= (strict ? 3 : 4));
    if (strict) expect(watcher.messages().map((m) => m.content)).toEqual(["honest 1", "honest 2", "honest 3"]);
    watcher.close();
  });
});
