// Request bodies are limited in bytes before they are read, on every API route:
// by Content-Length when it is sent, while streaming when it is not.
import { describe, expect, it } from "vitest";
import { BODY_MAX_BYTES } from "../src/domain/limits";
import { api, BASE, join, newRoom, worker } from "./support/api";

const tooLargeText = `Request bodies can be at most ${BODY_MAX_BYTES / 1024} KiB.`;
const tooLarge = { error: tooLargeText, detail: tooLargeText, code: "BODY_TOO_LARGE", details: { max_bytes: BODY_MAX_BYTES } };

describe("request bodies", () => {
  it("over the limit in bytes are refused even when they are few characters (emoji are 4 bytes each)", async () => {
    const { room } = await newRoom();
    const me = await join(room.code);
    // 20,000 emoji: 40,000 UTF-16 units, but 80,000 bytes of UTF-8.
    const res = await api("POST", `/api/chats/${room.code}/messages/send/`, { body: { message: "😀".repeat(20_000), session_token: me.session_token } });
    expect(res).toMatchObject({ status: 413, body: tooLarge });
    expect((await api("GET", `/api/chats/${room.code}/messages/`)).body.count).toBe(0);
  });

  it("over the limit without a Content-Length are cut off while streaming", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= 8) return controller.close();
        controller.enqueue(chunk);
      },
    });
    const res = await worker.fetch(`${BASE}/api/auth/login/`, { method: "POST", body, headers: { "CF-Connecting-IP": "10.9.9.9" } });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(tooLarge);
  });

  it("are never read far past the limit: a 100 MB streamed body stops being pulled at once", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let pulled = 0;
    const hundredMegabytes = 6_400;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ >= hundredMegabytes) return controller.close();
        controller.enqueue(chunk);
      },
    });
    for (const path of ["/api/payments/webhook/", "/api/auth/register/"]) {
      pulled = 0;
      const stream = path === "/api/payments/webhook/" ? body : new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled++ >= hundredMegabytes) return controller.close();
          controller.enqueue(chunk);
        },
      });
      const res = await worker.fetch(`${BASE}${path}`, { method: "POST", body: stream, headers: { "CF-Connecting-IP": "10.9.9.8", "Stripe-Signature": "t=1,v1=00" } });
      expect(res.status, path).toBe(413);
      // 64 KiB is 4 chunks; allow what the runtime buffers ahead, but nowhere near 100 MB.
      expect(pulled, path).toBeLessThan(64);
    }
  });

  it("reaching the Stripe webhook are refused before any signature work", async () => {
    const res = await api("POST", "/api/payments/webhook/", { rawBody: "x".repeat(BODY_MAX_BYTES + 1) });
    expect(res).toMatchObject({ status: 413, body: tooLarge });
  });

  it("at the limit are read and validated as usual", async () => {
    const res = await api("POST", "/api/auth/login/", { rawBody: JSON.stringify({ email: "a@b.co", password: "p".repeat(BODY_MAX_BYTES - 40) }) });
    expect(res.status).not.toBe(413);
    expect(res.body.code).not.toBe("BODY_TOO_LARGE");
  });
});
