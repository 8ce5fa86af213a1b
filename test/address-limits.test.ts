// Address limits: per address, and for IPv6 per /64 with budgets of their own for the /56 and /48.
import { describe, expect, it } from "vitest";
import { api, join, newRoom, register, unique, randomIp, joinRaw, myParticipation } from "./support/api";
import { MINUTE, withinOneRateWindow } from "./support/rate-window";

describe("address limits hold for IPv6 blocks", () => {
  it("register counts at the /64 and, with its own budget, at the /56: fresh /64s of one /56 run out", async () => {
    // RATE_LIMIT_REGISTER is 5/1 m here: a /56 gets 4 × 5 = 20. The 21 calls take about a second.
    await withinOneRateWindow(MINUTE, 15_000);
    const block = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${(Math.floor(Math.random() * 0xff) << 8).toString(16)}`;
    const reg = (i: number, ip: string) =>
      api("POST", "/api/auth/register/", { ip, body: { email: `${unique("v6")}@example.com`, password: "sturdy-pass-42", reserved_username: unique(`v${i}_`) } });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      // Each from its own /64 inside the same /56 (the /64 limit alone would never trip).
      const [a, b, c, d] = block.split(":");
      const ip = `${a}:${b}:${c}:${(parseInt(d!, 16) + i).toString(16)}::1`;
      statuses.push((await reg(i, ip)).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(201));
    expect(statuses[20]).toBe(429);
  });

  it("a /48 holds at most 12 anonymous names in a room, whatever its /64s", async () => {
    const { room } = await newRoom();
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++) {
      const res = await api("POST", `/api/chats/${room.code}/join/`, {
        ip: `${prefix}:${(i * 256).toString(16)}::7`,
        body: { username: `block_user${i}`, fingerprint: unique("fp") },
      });
      statuses.push(res.status);
      if (i === 12) expect(res.body.code).toBe("IP_USERNAME_LIMIT");
    }
    expect(statuses).toEqual([...Array(12).fill(200), 429]);
  });
});

describe("anonymous names per address", () => {
  it("allows 3 anonymous usernames per IP per room; returning fingerprints, accounts and other rooms are exempt", async () => {
    const { room } = await newRoom();
    const other = await newRoom();
    const ip = randomIp();
    const fps = [unique("fp"), unique("fp"), unique("fp")];
    for (const [i, fp] of fps.entries()) await join(room.code, `ip_user_${i}`, { fingerprint: fp, ip });

    const fourthFp = unique("fp");
    const fourth = await joinRaw(room.code, { username: "ip_user_3", fingerprint: fourthFp }, { ip });
    expect(fourth.status).toBe(429);
    expect(fourth.body.code).toBe("IP_USERNAME_LIMIT");
    expect(fourth.body.error).toMatch(/3 anonymous usernames/);
    expect((await myParticipation(room.code, { fingerprint: fourthFp })).body).toEqual({ has_joined: false });

    // Returning, logged in, another room, another address: all fine.
    expect((await join(room.code, "whatever_nm", { fingerprint: fps[0], ip })).username).toBe("ip_user_0");
    const user = await register();
    expect((await join(room.code, "member_nm", { token: user.token, ip })).username).toBe("member_nm");
    expect((await join(other.room.code, "ip_user_3", { fingerprint: fourthFp, ip })).username).toBe("ip_user_3");
    expect((await join(room.code, "ip_user_3", { fingerprint: fourthFp })).username).toBe("ip_user_3");
  });

  it("counts an IPv6 /64 as one address", async () => {
    const { room } = await newRoom();
    const prefix = `2001:db8:${Math.floor(Math.random() * 65535).toString(16)}:1`;
    for (let i = 0; i < 3; i++) await join(room.code, `v6_user_${i}`, { ip: `${prefix}::${i + 1}` });
    const res = await joinRaw(room.code, { username: "v6_user_3", fingerprint: unique("fp") }, { ip: `${prefix}:ffff:ffff:ffff:ffff` });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe("IP_USERNAME_LIMIT");
  });

  it("parallel joins from one IP cannot slip past the limit", async () => {
    const { room } = await newRoom();
    const ip = randomIp();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => joinRaw(room.code, { username: `race_user_${i}`, fingerprint: unique("fp") }, { ip })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429).every((r) => r.body.code === "IP_USERNAME_LIMIT")).toBe(true);
  });

  it("rate-limits joins, registrations and logins per IP with Retry-After", async () => {
    // It takes about a second; these limits count per minute.
    await withinOneRateWindow(MINUTE, 15_000);
    const { room } = await newRoom();
    const ip = randomIp();
    // The tests run with RATE_LIMIT_JOIN = "10/1 m" (vitest.config.ts).
    const joins = [];
    for (let i = 0; i < 11; i++) joins.push(await joinRaw(room.code, { username: "flooder", fingerprint: "same-fp" }, { ip }));
    expect(joins.slice(0, 10).every((r) => r.status === 200)).toBe(true);
    const limited = joins[10]!;
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe("RATE_LIMITED");
    const retryAfter = Number(limited.headers.get("Retry-After"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.details.retry_after_seconds).toBe(retryAfter);
    // Another address is not affected.
    expect((await joinRaw(room.code, { username: "flooder", fingerprint: "same-fp" })).status).toBe(200);

    const regIp = randomIp();
    const regs = [];
    for (let i = 0; i < 6; i++) {
      regs.push(
        await api("POST", "/api/auth/register/", {
          ip: regIp,
          body: { email: `${unique("e")}@example.com`, password: "long enough pw", reserved_username: unique("rl_") },
        }),
      );
    }
    expect(regs.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 429]);
    expect(regs[5]!.headers.get("Retry-After")).toMatch(/^\d+$/);

    const user = await register();
    const loginIp = randomIp();
    const logins = [];
    for (let i = 0; i < 6; i++) {
      logins.push(await api("POST", "/api/auth/login/", { ip: loginIp, body: { email: user.user.email, password: "wrong password" } }));
    }
    expect(logins.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429]);
    // The right password from that address waits too: that is what stops guessing.
    const right = await api("POST", "/api/auth/login/", { ip: loginIp, body: { email: user.user.email, password: user.password } });
    expect(right.status).toBe(429);
  });

  it("refuses a request whose client address header is missing or malformed, and stores nothing", async () => {
    const { room } = await newRoom();
    for (const ip of [null, "", "not-an-ip", "999.1.1.1", "1.2.3.4, 5.6.7.8", "1.2.3", "fe80::1%eth0", "::1::2"]) {
      const fp = unique("fp");
      const res = await joinRaw(room.code, { username: "no_address", fingerprint: fp }, { ip });
      expect(res.status, String(ip)).toBe(400);
      expect(res.body.code, String(ip)).toBe(ip ? "INVALID_CLIENT_IP" : "CLIENT_IP_REQUIRED");
      expect((await myParticipation(room.code, { fingerprint: fp })).body).toEqual({ has_joined: false });
      const reg = await api("POST", "/api/auth/register/", {
        ip,
        body: { email: `${unique("e")}@example.com`, password: "long enough pw", reserved_username: unique("noip_") },
      });
      expect(reg.status).toBe(400);
    }
  });
});
