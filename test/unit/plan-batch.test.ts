// planBatch: how a batch of sends becomes new messages, retries and refusals.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/platform/errors";
import { retryKey } from "../../src/domain/message";
import { planBatch, type Author, type Lookups, type PlannedSend } from "../../src/room/plan-batch";
import type { PublicMessage } from "../../src/protocol";

const room = { code: "abcdefgh", id: "00000000-0000-4000-8000-000000000001" };
const now = new Date("2026-11-30T12:00:00.000Z");
const alice: Author = { participationId: "p-alice", userId: null, username: "alice_1", usernameIsReserved: false, messageType: "normal" };
const system: Author = { participationId: null, userId: null, username: "ChatPop", usernameIsReserved: false, messageType: "system" };

function plan(batch: PlannedSend[], lookups: Partial<Lookups> = {}, seq = 0) {
  let n = 0;
  return planBatch(batch, { replyTargets: new Map(), sentEarlier: new Map(), ...lookups }, seq, {
    room,
    channel: "main",
    now,
    newId: () => `id-${++n}`,
    replyNotFound: () => new ApiError(404, "REPLY_NOT_FOUND", "no such message"),
  });
}
const send = (message: string, extra: Partial<PlannedSend> = {}): PlannedSend => ({ author: alice, message, replyToId: null, clientId: null, ...extra });

describe("planBatch", () => {
  it("numbers new messages after the stored seq, in arrival order, as public messages", () => {
    const p = plan([send("one"), send("two", { clientId: "c2" })], {}, 41);
    expect(p.lastSeq).toBe(43);
    expect(p.accepted.map((a) => a.row.message.seq)).toEqual([42, 43]);
    expect(p.accepted[1]!.row).toEqual({
      fields: expect.objectContaining({ id: "id-2", seq: 43, content: "two", channel: "main", createdAt: new Date(now.getTime() + 1) }),
      participationId: "p-alice",
      replyToId: null,
      clientId: "c2",
      message: {
        id: "id-2",
        chat_code: "abcdefgh",
        channel: "main",
        seq: 43,
        username: "alice_1",
        user_id: null,
        content: "two",
        message_type: "normal",
        reply_to: null,
        reply_to_message: null,
        user: null,
        is_pinned: false,
        pinned_at: null,
        pinned_until: null,
        pin_amount_cents: 0,
        pin_amount_paid: "0.00",
        time_until_unpin: null,
        is_from_host: false,
        username_is_reserved: false,
        is_deleted: false,
        reactions: [],
        created_at: "2026-11-30T12:00:00.001Z",
      },
    });
    expect([p.retries, p.refused]).toEqual([[], []]);
  });

  it("makes each message at least a millisecond newer than the one before, within and across batches", () => {
    const times = (p: ReturnType<typeof plan>) => p.accepted.map((a) => a.row.fields.createdAt.getTime() - now.getTime());
    expect(times(plan([send("a"), send("b"), send("c")]))).toEqual([0, 1, 2]);
    let n = 0;
    const after = planBatch([send("d")], { replyTargets: new Map(), sentEarlier: new Map() }, 3, {
      room,
      channel: "main",
      now,
      newestCreatedAt: now.getTime() + 2,
      newId: () => `x-${++n}`,
      replyNotFound: () => new ApiError(404, "REPLY_NOT_FOUND", "no such message"),
    });
    expect(times(after)).toEqual([3]);
  });

  it("answers a send whose client_id was stored before with that message, and takes no seq for it", () => {
    const stored = { id: "old", seq: 7 } as PublicMessage;
    const p = plan([send("again", { clientId: "c1" }), send("new")], { sentEarlier: new Map([[retryKey("p-alice", "c1"), stored]]) }, 9);
    expect(p.retries).toEqual([{ send: expect.objectContaining({ message: "again" }), message: stored }]);
    expect(p.accepted.map((a) => a.row.message.seq)).toEqual([10]);
  });

  it("stores a client_id sent twice in one batch once, answering the twin with the first", () => {
    const p = plan([send("a", { clientId: "dup" }), send("b", { clientId: "dup" })]);
    expect(p.accepted).toHaveLength(1);
    expect(p.retries[0]!.message).toBe(p.accepted[0]!.row.message);
  });

  it("never treats system messages (no participation) as retries of each other", () => {
    const p = plan([send("x", { author: system, clientId: "same" }), send("y", { author: system, clientId: "same" })]);
    expect(p.accepted.map((a) => a.row.message.content)).toEqual(["x", "y"]);
  });

  it("refuses a reply to a message it does not know, without taking a seq, and quotes a known one", () => {
    const parent = { id: "parent", username: "bob_22", content: "hi", is_from_host: false };
    const p = plan([send("to nobody", { replyToId: "ghost" }), send("to bob", { replyToId: "parent" })], {
      replyTargets: new Map([["parent", parent]]),
    });
    expect(p.refused.map((r) => [r.send.message, r.error.code])).toEqual([["to nobody", "REPLY_NOT_FOUND"]]);
    expect(p.accepted.map((a) => [a.row.message.seq, a.row.message.reply_to, a.row.message.reply_to_message, a.row.replyToId])).toEqual([
      [1, "parent", parent, "parent"],
    ]);
  });
});
