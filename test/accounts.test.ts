import { describe, expect, it } from "vitest";
import { signSessionToken, signUserToken } from "../src/domain/tokens";
import { api, join, newRoom, register, unique } from "./support/api";
import { TEST_JWT_SECRET } from "./support/test-secret";

describe("accounts", () => {
  it("registers, logs in, answers me, and stops accepting the token after logout", async () => {
    const email = `${unique("Mixed")}@Example.com`;
    const reserved = unique("Robert_");
    const reg = await api("POST", "/api/auth/register/", {
      body: { email, password: "a long enough password", reserved_username: reserved },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: email.toLowerCase(),
      reserved_username: reserved,
      created_at: expect.any(String),
    });
    expect(JSON.stringify(reg.body)).not.toContain("a long enough password");
    expect(JSON.stringify(reg.body)).not.toContain("pbkdf2");

    const login = await api("POST", "/api/auth/login", { body: { email: email.toUpperCase(), password: "a long enough password" } });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(reg.body.user.id);

    const me = await api("GET", "/api/auth/me/", { token: login.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(reg.body.user);

    expect((await api("POST", "/api/auth/logout/", { token: login.body.token })).status).toBe(204);
    const after = await api("GET", "/api/auth/me/", { token: login.body.token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("INVALID_TOKEN");
    // Logging out one token leaves the other session alone.
    expect((await api("GET", "/api/auth/me/", { token: reg.body.token })).status).toBe(200);
  });

  it("refuses a wrong password or an unknown email with the same 401", async () => {
    const acct = await register();
    const wrong = await api("POST", "/api/auth/login/", { body: { email: acct.user.email, password: "not the password" } });
    const unknown = await api("POST", "/api/auth/login/", { body: { email: "nobody@example.com", password: "whatever123" } });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: "Wrong email or password.", detail: "Wrong email or password.", code: "INVALID_CREDENTIALS" });
    }
  });

  it("refuses registrations that break the rules, and creates nothing", async () => {
    const taken = await register();
    const good = { email: `${unique("x")}@example.com`, password: "sturdy-pass-42", reserved_username: unique("fresh_") };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...good, email: "not-an-email" }, 400, "VALIDATION_ERROR"],
      [{ ...good, email: "" }, 400, "VALIDATION_ERROR"],
      [{ ...good, email: `${"a".repeat(250)}@example.com` }, 400, "VALIDATION_ERROR"],
      [{ ...good, password: "short" }, 400, "VALIDATION_ERROR"],
      [{ ...good, password: 12345678 }, 400, "VALIDATION_ERROR"],
      [{ ...good, password: "x".repeat(129) }, 400, "VALIDATION_ERROR"],
      [{ ...good, password: "Password123" }, 400, "WEAK_PASSWORD"],
      [{ ...good, password: "qwertyuiop" }, 400, "WEAK_PASSWORD"],
      [{ ...good, password: " ".repeat(12) }, 400, "WEAK_PASSWORD"],
      [{ ...good, password: "aaaaaaaaaa" }, 400, "WEAK_PASSWORD"],
      [{ ...good, reserved_username: "abcd" }, 400, "INVALID_USERNAME"],
      [{ ...good, reserved_username: "a".repeat(16) }, 400, "INVALID_USERNAME"],
      [{ ...good, reserved_username: "has space" }, 400, "INVALID_USERNAME"],
      [{ ...good, reserved_username: "robert';--" }, 400, "INVALID_USERNAME"],
      [{ ...good, reserved_username: "Ꭱobert" }, 400, "INVALID_USERNAME"],
      [{ ...good, reserved_username: " robert " }, 400, "INVALID_USERNAME"],
      [{ ...good, email: taken.user.email.toUpperCase() }, 409, "EMAIL_TAKEN"],
      [{ ...good, reserved_username: taken.user.reserved_username.toUpperCase() }, 409, "USERNAME_TAKEN"],
      [{ email: good.email }, 400, "VALIDATION_ERROR"],
    ];
    for (const [body, status, code] of cases) {
      const res = await api("POST", "/api/auth/register/", { body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.body.code).toBe(code);
      expect(typeof res.body.error).toBe("string");
    }
    // None of those created the account.
    const login = await api("POST", "/api/auth/login/", { body: { email: good.email, password: good.password } });
    expect(login.status).toBe(401);
    const malformed = await api("POST", "/api/auth/register/", { rawBody: "{email:", headers: { "Content-Type": "application/json" } });
    expect(malformed).toMatchObject({ status: 400, body: { code: "INVALID_JSON" } });
  });

  it("refuses bearer tokens that are missing, malformed, forged, expired or meant for a room", async () => {
    const acct = await register();
    const { room } = await newRoom();
    const session = await join(room.code);
    const expired = await signUserToken({ userId: acct.user.id, authSessionId: crypto.randomUUID() }, TEST_JWT_SECRET, -10);
    const forged = await signUserToken({ userId: acct.user.id, authSessionId: crypto.randomUUID() }, "not-our-secret");
    const unknownSession = await signUserToken({ userId: acct.user.id, authSessionId: crypto.randomUUID() }, TEST_JWT_SECRET);
    const roomToken = await signSessionToken(
      { roomCode: room.code, roomId: crypto.randomUUID(), participationId: acct.user.id, userId: acct.user.id, username: "x", isHost: false, usernameIsReserved: false, authSessionId: null },
      TEST_JWT_SECRET,
    );
    expect((await api("GET", "/api/auth/me/")).body.code).toBe("AUTH_REQUIRED");
    for (const token of [expired, forged, unknownSession, roomToken, session.session_token, "junk"]) {
      const res = await api("GET", "/api/auth/me/", { token });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("INVALID_TOKEN");
    }
    const notBearer = await api("GET", "/api/auth/me/", { headers: { Authorization: `Basic ${acct.token}` } });
    expect(notBearer.status).toBe(401);
    expect((await api("POST", "/api/auth/logout/")).status).toBe(401);
  });
});
