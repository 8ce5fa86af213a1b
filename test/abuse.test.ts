// What a hostile browser page or client meets at the edge: the Origin check,
// CORS, security headers; and what never reaches the logs.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, BASE, connect, connectRaw, join, newRoom, register, worker } from "./support/api";

// vitest.config.ts: ALLOWED_ORIGINS = "https://chat.example, https://app.chat.example"

afterEach(() => vi.restoreAllMocks());

describe("origins", () => {
  it("refuses WebSocket upgrades from a site not in ALLOWED_ORIGINS", async () => {
    const { room } = await newRoom();
    const { session_token } = await join(room.code);
    const evil = await connectRaw(room.code, `?session_token=${session_token}`, { Origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect((await evil.json()) as any).toMatchObject({ code: "ORIGIN_NOT_ALLOWED" });
    const good = await connectRaw(room.code, `?session_token=${session_token}`, { Origin: "https://app.chat.example" });
    expect(good.status).toBe(101);
    good.webSocket!.accept();
    good.webSocket!.close();
    // Clients that send no Origin (apps, bots) are not browsers: they are let in.
    (await connect(room.code, session_token)).close();
  });

  it("answers CORS for allowed origins only, and puts security headers on API answers", async () => {
    const preflight = (origin: string) =>
      worker.fetch(`${BASE}/api/auth/login/`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,idempotency-key" },
      });
    const ok = await preflight("https://chat.example");
    expect(ok.headers.get("Access-Control-Allow-Origin")).toBe("https://chat.example");
    expect(ok.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("idempotency-key");
    const evil = await preflight("https://evil.example");
    expect(evil.headers.get("Access-Control-Allow-Origin")).toBeNull();

    const res = await api("GET", "/api/chats/abcdefgh/", { headers: { Origin: "https://chat.example" } });
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("X-Frame-Options")).toBe("SAMEORIGIN");
    expect(res.headers.get("Strict-Transport-Security")).toContain("max-age");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://chat.example");
  });
});

describe("logs", () => {
  it("never contain a password, a token or a message body", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    vi.spyOn(console, "log").mockImplementation(capture);
    vi.spyOn(console, "error").mockImplementation(capture);
    vi.spyOn(console, "warn").mockImplementation(capture);

    const password = "Secret-Passw0rd-Marker";
    const reg = await api("POST", "/api/auth/register/", { body: { email: "logcheck-marker@example.com", password, reserved_username: `logchk${Date.now() % 100000}` } });
    const login = await api("POST", "/api/auth/login/", { body: { email: "logcheck-marker@example.com", password } });
    await api("POST", "/api/auth/login/", { body: { email: "logcheck-marker@example.com", password: "Wrong-Passw0rd-Marker" } });
    const host = await register();
    const room = (await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Logs", access_mode: "private", access_code: "Access-Code-Marker" } })).body;
    const member = await join(room.code, "log_member", { access_code: "Access-Code-Marker" });
    const socket = await connect(room.code, member.session_token);
    socket.send({ message: "Body-Marker over the socket", client_id: "log-1" });
    await socket.until("ack", () => socket.messages().some((m) => m.client_id === "log-1"));
    await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message: "Body-Marker over REST", session_token: member.session_token } });
    await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message: "x".repeat(5000) + "Too-Long-Marker", session_token: member.session_token } });
    socket.close();

    const text = lines.join("\n");
    expect(lines.length).toBeGreaterThan(3); // the events were logged…
    for (const secret of [password, "Wrong-Passw0rd-Marker", "Access-Code-Marker", "Body-Marker", "Too-Long-Marker", "logcheck-marker@example.com", reg.body.token, login.body.token, host.token, member.session_token]) {
      expect(text, secret).not.toContain(secret); // …and none of these in them
    }
  });
});
