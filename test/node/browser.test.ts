// The web app in a real browser (Debian's Chromium driven by playwright-core)
// against the Worker in wrangler dev: two people chat in one room, a reload
// shows the history, and a killed connection comes back with what was sent
// meanwhile. Screenshots of the room are saved in test-results/browser/.
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWorker, type TestWorker } from "./worker.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const shots = fileURLToPath(new URL("../../test-results/browser/", import.meta.url));
let worker: TestWorker;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
  mkdirSync(shots, { recursive: true });
  worker = await startTestWorker();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

async function hostedRoom(): Promise<string> {
  const rand = crypto.randomUUID().slice(0, 8);
  const { body: acct } = await worker.call("POST", "/api/auth/register/", { email: `web${rand}@example.com`, password: "sturdy-pass-42", reserved_username: `web_${rand}` });
  const { body: room } = await worker.call("POST", "/api/chats/create/", { name: "Browser room" }, { authorization: `Bearer ${acct.token}` });
  return room.code;
}

/** What the browser refused under the page's Content-Security-Policy (each one a bug in the app or the policy). */
const cspViolations: string[] = [];

async function joinAs(code: string, username: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(`${worker.url}/?room=${code}`);
  await page.fill('input[name="username"]', username);
  await page.click('form.join button[type="submit"]');
  await page.waitForSelector('[data-status="open"]', { timeout: 20_000 });
  return page;
}

async function say(page: Page, text: string) {
  await page.fill('input[name="message"]', text);
  await page.click('form.composer button[type="submit"]');
}

const contents = (page: Page) => page.$$eval(".message .content", (els) => els.map((e) => e.textContent));

describe("the web app in Chromium", () => {
  it("lets two people chat, shows the history after a reload, and recovers a killed connection", async () => {
    const code = await hostedRoom();
    const alice = await joinAs(code, "alice_web");
    const bob = await joinAs(code, "bob_webby");

    await say(alice, "hello from alice");
    await bob.waitForSelector('.message .content:text-is("hello from alice")', { timeout: 15_000 });
    await say(bob, "hi alice, bob here");
    await alice.waitForSelector('.message .content:text-is("hi alice, bob here")', { timeout: 15_000 });
    expect(await contents(alice)).toEqual(["hello from alice", "hi alice, bob here"]);
    await alice.screenshot({ path: `${shots}room-alice.png` });

    // A reload keeps the seat (the session is kept in the page) and shows the history from the API.
    await bob.reload();
    await bob.waitForSelector('[data-status="open"]', { timeout: 20_000 });
    expect(await contents(bob)).toEqual(["hello from alice", "hi alice, bob here"]);
    expect(await bob.textContent(".composer input")).toBe("");

    // Kill bob's connection; alice keeps talking; bob comes back with what he missed, once.
    await bob.evaluate(() => (globalThis as any).__chatpop.drop());
    await bob.waitForSelector('[data-status="reconnecting"]', { timeout: 5_000 });
    await say(alice, "while you were away");
    await say(alice, "and one more");
    await bob.waitForSelector('.message .content:text-is("and one more")', { timeout: 20_000 });
    await bob.waitForSelector('[data-status="open"]', { timeout: 20_000 });
    expect(await contents(bob)).toEqual(["hello from alice", "hi alice, bob here", "while you were away", "and one more"]);
    await bob.screenshot({ path: `${shots}room-bob-after-reconnect.png` });

    // What bob types while offline is sent when the connection is back.
    await bob.evaluate(() => (globalThis as any).__chatpop.drop());
    await bob.waitForSelector('[data-status="reconnecting"]', { timeout: 5_000 });
    await say(bob, "typed while offline");
    await alice.waitForSelector('.message .content:text-is("typed while offline")', { timeout: 20_000 });
    const seqs = await alice.$$eval(".message", (els) => els.map((e) => Number(e.getAttribute("data-seq"))));
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    // All of it ran under the app's Content-Security-Policy without a refusal.
    expect(cspViolations).toEqual([]);
  });

  it("is served with a Content-Security-Policy that allows no inline script and no framing", async () => {
    for (const path of ["/", "/app.js", "/?room=abcdefgh", "/some/deep/link"]) {
      const res = await fetch(`${worker.url}${path}`);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });
});
