// The room's own log stays bounded by what it stores ("limits" project: LOG_RETAIN_ROWS = 20),
// though the room sleeps (is evicted) between small bursts, and so do its client_id retry keys.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, join, newRoom, settled, unique } from "../support/api";

const RETAIN = Number(env.LOG_RETAIN_ROWS);
const stub = (code: string) => env.CHAT_ROOM.getByName(code);

const stored = (code: string) =>
  runInDurableObject(stub(code), (_o, state) => ({
    rows: state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM message_log`).one().n,
    keys: state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM retry_keys`).one().n,
  }));

describe("the room's log", () => {
  it("is pruned by what it holds, though the room is evicted between bursts smaller than the bound", async () => {
    expect(RETAIN).toBe(20);
    const { room } = await newRoom();
    const guest = await join(room.code, unique("g"));
    let sent = 0;
    // Each burst is the participant's allowance (SEND_BURST 5; a woken room's allowances start afresh), with a client_id each.
    for (let burst = 0; burst < 30; burst++) {
      for (let i = 0; i < 5; i++) {
        const res = await api("POST", `/api/chats/${room.code}/messages/send/`, {
          body: { session_token: guest.session_token, message: `b${burst} m${i}`, client_id: `c${burst}-${i}` },
        });
        expect(res.status).toBe(201);
        sent++;
      }
      await settled(room.code);
      await evictDurableObject(stub(room.code));
    }
    const { rows, keys } = await stored(room.code);
    expect(sent).toBe(150);
    // At most a tenth over the bound (the prune runs once it is), and never below it.
    expect(rows).toBeGreaterThanOrEqual(RETAIN);
    expect(rows).toBeLessThanOrEqual(RETAIN + RETAIN / 10 + 5);
    // Retry keys: five per retained row at most (and a day at most), not one per send ever.
    expect(keys).toBeLessThanOrEqual(5 * RETAIN + RETAIN / 10 + 5);
    expect(keys).toBeGreaterThanOrEqual(5 * RETAIN - 5);
    // What was pruned is still history: Postgres has every message.
    const page = await api("GET", `/api/chats/${room.code}/messages/?limit=100`);
    expect(page.body.messages.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 51 + i));
  });
});
