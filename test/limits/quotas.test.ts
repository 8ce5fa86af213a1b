// Quotas with small limits ("limits" project, vitest.config.ts): rooms per account, room creation per account and address, a window's byte budget.
import { describe, expect, it } from "vitest";
import { api, join, newRoom, randomIp, redis, register, settled } from "../support/api";
import { MINUTE, withinOneRateWindow } from "../support/rate-window";

describe("quotas on what one account creates", () => {
  it("rooms per account have a quota, and creation a rate per account and per address", async () => {
    // An address of its own: a fixed one would carry its count into the next run on the same Redis.
    const ip = randomIp();
    await withinOneRateWindow(MINUTE, 10_000);
    const a = await register();
    const create = (token: string) => api("POST", "/api/chats/create/", { token, ip, body: { name: "Quota" } });
    for (let i = 0; i < 3; i++) expect((await create(a.token)).status).toBe(201);
    const over = await create(a.token);
    expect([over.status, over.body.code, over.body.details.max_rooms]).toEqual([409, "ROOM_QUOTA_REACHED", 3]);
    // The address has made 4 attempts of its 5; a second account from it gets one more.
    const b = await register();
    expect((await create(b.token)).status).toBe(201);
    const limited = await create(b.token);
    expect([limited.status, limited.body.code]).toEqual([429, "RATE_LIMITED"]);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("a room's Redis window keeps to its byte budget as well as its count", async () => {
    const { room } = await newRoom();
    for (let i = 0; i < 4; i++) {
      const sender = await join(room.code);
      for (let j = 0; j < 2; j++) {
        const res = await api("POST", `/api/chats/${room.code}/messages/send/`, {
          body: { message: `${i}.${j} ${"long words ".repeat(150)}` },
          headers: { "X-Session-Token": sender.session_token },
        });
        expect(res.status).toBe(201);
      }
      await settled(room.code); // this project holds at most 8 unflushed messages
    }
    await settled(room.code);
    const members = (await redis().zrange(`chat:${room.code}:messages`, 0, -1)) as string[];
    const bytes = members.reduce((n, m) => n + new TextEncoder().encode(m).byteLength, 0);
    expect(members.length).toBeGreaterThanOrEqual(2);
    expect(members.length).toBeLessThan(8);
    expect(bytes).toBeLessThanOrEqual(6000 + 2000);
    // The newest is always kept.
    expect(JSON.parse(members.at(-1)!).content.startsWith("3.1 ")).toBe(true);
  });
});
