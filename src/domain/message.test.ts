// Pure rules, no I/O: message.ts beside this file.
import { describe, expect, it } from "vitest";
import { asServedNow, dollars, toPublicMessage, type MessageFields } from "./message";
import type { PublicMessage } from "../protocol";

const now = Date.parse("2026-12-01T12:00:00.000Z");
const fields: MessageFields = {
  id: "m1",
  channel: "main",
  seq: 7,
  username: "alice_1",
  userId: "u1",
  content: "hi",
  messageType: "normal",
  isPinned: true,
  pinnedAt: new Date(now - 60_000),
  pinnedUntil: new Date(now + 90_500),
  pinAmountCents: 500,
  usernameIsReserved: false,
  createdAt: new Date(now - 120_000),
};

describe("public messages", () => {
  it("carry the original ChatPop's fields: the pin in dollars and seconds left, the parent's id, the account by id", () => {
    const m = toPublicMessage("abcdefgh", fields, { id: "p1", username: "bob_22", content: "yo", is_from_host: true }, [], now);
    expect(m).toMatchObject({
      pin_amount_cents: 500,
      pin_amount_paid: "5.00",
      time_until_unpin: 90,
      pinned_at: "2026-12-01T11:59:00.000Z",
      reply_to: "p1",
      reply_to_message: { id: "p1", username: "bob_22", content: "yo", is_from_host: true },
      user: { id: "u1" },
      is_deleted: false,
    });
    expect(dollars(12345)).toBe("123.45");
  });

  it("serve a stored copy with its pin clock as of now, and an ended pin as none", () => {
    const stored = toPublicMessage("abcdefgh", fields, null, [], now);
    expect(asServedNow(stored, now + 30_000).time_until_unpin).toBe(60);
    expect(asServedNow(stored, now + 100_000)).toMatchObject({ is_pinned: false, pin_amount_cents: 0, pin_amount_paid: "0.00", time_until_unpin: null, pinned_at: null });
  });

  it("upgrade a copy stored before the original's fields (reply_to was the quote)", () => {
    const old = { ...toPublicMessage("abcdefgh", { ...fields, isPinned: false }, null, [], now) } as Record<string, unknown>;
    for (const k of ["reply_to_message", "user", "pinned_at", "pin_amount_paid", "time_until_unpin", "is_deleted"]) delete old[k];
    old.reply_to = { id: "p1", username: "bob_22", content: null };
    expect(asServedNow(old as unknown as PublicMessage, now)).toMatchObject({
      reply_to: "p1",
      reply_to_message: { id: "p1", username: "bob_22", content: null, is_from_host: false },
      user: { id: "u1" },
      pin_amount_paid: "0.00",
      is_deleted: false,
    });
  });
});
