// The host's earnings: paged by room code, with a total over every room.
import { describe, expect, it } from "vitest";
import { api, join, register, unique } from "./support/api";

describe("the host's earnings are paginated", () => {
  it("pages rooms by code with next_after; total_cents covers every room", async () => {
    const host = await register();
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await api("POST", "/api/chats/create/", { token: host.token, body: { name: `R${i}` } })).body.code);
    const tipper = await join(codes[0]!, "tipper_one");
    const tip = await api("POST", `/api/chats/${codes[0]}/tip/`, { body: { amount_cents: 300 }, headers: { "X-Session-Token": tipper.session_token, "Idempotency-Key": unique("t") } });
    expect(tip.status).toBe(200);
    const first = (await api("GET", "/api/auth/me/earnings/?limit=2", { token: host.token })).body;
    expect(first.rooms).toHaveLength(2);
    expect(first.total_cents).toBe(300);
    const second = (await api("GET", `/api/auth/me/earnings/?limit=2&after=${first.next_after}`, { token: host.token })).body;
    expect(second.rooms).toHaveLength(1);
    expect(second.next_after).toBeNull();
    expect([...first.rooms, ...second.rooms].map((r: any) => r.code)).toEqual([...codes].sort());
    expect((await api("GET", "/api/auth/me/earnings/?limit=0", { token: host.token })).status).toBe(400);
  });
});
