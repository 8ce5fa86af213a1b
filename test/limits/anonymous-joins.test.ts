// Anonymous joins per room per minute, with small limits ("limits" project, vitest.config.ts).
import { describe, expect, it } from "vitest";
import { api, join, newRoom, register } from "../support/api";

describe("anonymous joins per room", () => {
  it("a room takes at most ANON_JOINS_PER_ROOM_PER_MINUTE new anonymous names a minute; logged-in joins still work", async () => {
    const { room } = await newRoom();
    const answers: { status: number; body: any; headers: Headers }[] = [];
    for (let i = 0; i < 9; i++) {
      answers.push(await api("POST", `/api/chats/${room.code}/join/`, { body: { username: `anon_rate_${i}`, fingerprint: `fp-rate-${i}` } }));
    }
    expect(answers.slice(0, 8).map((a) => a.status)).toEqual(Array(8).fill(200));
    expect([answers[8]!.status, answers[8]!.body.code, answers[8]!.headers.get("Retry-After")]).toEqual([429, "ANON_JOIN_RATE", "60"]);
    // A returning anonymous participant is no new name.
    expect((await api("POST", `/api/chats/${room.code}/join/`, { body: { username: "anon_rate_0", fingerprint: "fp-rate-0" } })).status).toBe(200);
    const member = await register();
    expect((await join(room.code, member.user.reserved_username, { token: member.token })).username).toBe(member.user.reserved_username);
  });
});
