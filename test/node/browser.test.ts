// The web app in a real browser (Debian's Chromium driven by playwright-core)
// against the Worker in wrangler dev: two people chat in one room, a reload
// shows the history, and a killed connection comes back with what was sent
// meanwhile. Screenshots of the room are saved in test-results/browser/.
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestWorker, type TestWorker } from "./worker.ts";
import { standInVars } from "../../dev/stripe-stand-in.ts";

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

  it("sells what the API sells: a pin from the tiers, a tip, a back-room seat; the host bans and sees the earnings", async () => {
    const rand = crypto.randomUUID().slice(0, 8);
    const hostName = `web_${rand}`;
    const { body: acct } = await worker.call("POST", "/api/auth/register/", { email: `sell${rand}@example.com`, password: "sturdy-pass-42", reserved_username: hostName });
    const auth = { authorization: `Bearer ${acct.token}` };
    const { body: room } = await worker.call("POST", "/api/chats/create/", { name: "Shop room" }, auth);

    // Everyone here comes from 127.0.0.1, and a tip from the host's own address is refused: the
    // fan tips before the host has joined from it.
    const fan = await joinAs(room.code, "fan_buyer");
    await say(fan, "pin this please");
    await fan.waitForSelector('.message .content:text-is("pin this please")');
    await fan.click('.message:has(.content:text-is("pin this please")) button.pin');
    await fan.waitForSelector('[data-testid="pin-choices"]');
    const tiers = await fan.$$eval(".pin-tier", (els) => els.map((e) => e.textContent));
    expect(tiers.slice(0, 3)).toEqual(["$1 · 10 min", "$2 · 15 min", "$5 · 20 min"]);
    await fan.screenshot({ path: `${shots}shop-pin-tiers.png` });
    await fan.click('.pin-tier[data-cents="500"]');
    await fan.waitForSelector('[data-testid="pinned"]:has-text("pin this please")');
    expect(await fan.textContent(".notice")).toContain("Pin (20 min): paid $5.");

    await fan.selectOption('select[name="tip-amount"]', "200");
    await fan.click('form.tip button[type="submit"]');
    await fan.waitForSelector(".message.system .content:has-text(\"tipped the host $2.00\")");

    // The host opens the back room; the fan's page shows the offer once reloaded.
    const { body: hostSession } = await worker.call("POST", `/api/chats/${room.code}/join/`, { username: hostName }, auth);
    const open = await worker.call("POST", `/api/chats/${room.code}/backroom/`, { enabled: true, price_cents: 500, seat_limit: 5 }, { "x-session-token": hostSession.session_token });
    expect(open.status).toBe(200);
    await fan.reload();
    await fan.waitForSelector('[data-status="open"]', { timeout: 20_000 });
    await fan.click("button.join-backroom");
    await fan.waitForSelector('nav.tabs button:text-is("Back room")');
    expect(await fan.textContent(".notice")).toContain("Back-room seat: paid $5.");
    await fan.screenshot({ path: `${shots}shop-after-purchases.png` });

    // The host, logged in in their own browser, bans the fan from the fan's message.
    const context = await browser.newContext();
    await context.addInitScript((token) => localStorage.setItem("chatpop:token", token), acct.token);
    const host = await context.newPage();
    await host.goto(`${worker.url}/?room=${room.code}`);
    await host.fill('input[name="username"]', hostName);
    await host.click('form.join button[type="submit"]');
    await host.waitForSelector('[data-status="open"]', { timeout: 20_000 });
    await host.click('.message:has(.content:text-is("pin this please")) button:text-is("Ban")');
    await fan.waitForSelector('[data-status="kicked"]', { timeout: 15_000 });
    expect(await fan.textContent(".notice")).toContain("You cannot rejoin this room.");
    await fan.screenshot({ path: `${shots}shop-fan-banned.png` });

    await host.goto(`${worker.url}/`);
    await host.waitForSelector('[data-testid="earnings"]');
    expect(await host.textContent('[data-testid="earnings"] h2')).toBe("Your earnings: $12");
    await host.screenshot({ path: `${shots}shop-host-earnings.png` });
  });

  it("confirms a 402 payment in the page with the Payment Element (Stripe stand-in): a declined card says so, a good one pins", async () => {
    const stripeApiBase = inject("stripeApiBase");
    const paying = await startTestWorker({
      ...standInVars(stripeApiBase),
      ALLOW_TEST_PAYMENTS: "",
      LOCAL_DEV: "true",
    });
    try {
      // Stripe delivers its webhooks to this Worker.
      await fetch(`${stripeApiBase}/__admin/config`, { method: "POST", body: JSON.stringify({ webhook_url: `${paying.url}/api/payments/webhook/` }) });
      const rand = crypto.randomUUID().slice(0, 8);
      const { body: acct } = await paying.call("POST", "/api/auth/register/", { email: `card${rand}@example.com`, password: "sturdy-pass-42", reserved_username: `card_${rand}` });
      const { body: room } = await paying.call("POST", "/api/chats/create/", { name: "Card room" }, { authorization: `Bearer ${acct.token}` });
      const context = await browser.newContext();
      const fan = await context.newPage();
      fan.on("console", (m) => {
        if (m.type() === "error" && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
      await fan.goto(`${paying.url}/?room=${room.code}`);
      await fan.fill('input[name="username"]', "card_payer");
      await fan.click('form.join button[type="submit"]');
      await fan.waitForSelector('[data-status="open"]', { timeout: 20_000 });
      await say(fan, "worth a dollar");
      await fan.click('.message:has(.content:text-is("worth a dollar")) button.pin');
      await fan.click('.pin-tier[data-cents="100"]');
      await fan.waitForSelector('[data-testid="pay"] input[name="card-number"]');
      expect(await fan.textContent(".notice")).toContain("pending — confirm it with your card");
      await fan.fill('input[name="card-number"]', "4000 0000 0000 0002");
      await fan.click('[data-testid="pay"] button[type="submit"]');
      await fan.waitForSelector('[data-testid="pay"] .error:has-text("declined")');
      await fan.screenshot({ path: `${shots}card-declined.png` });
      await fan.fill('input[name="card-number"]', "4242 4242 4242 4242");
      await fan.click('[data-testid="pay"] button[type="submit"]');
      // The webhook may pin it before the page hears back from Stripe: wait for both.
      await fan.waitForSelector('[data-testid="pinned"]:has-text("worth a dollar")', { timeout: 15_000 });
      await fan.waitForSelector('.notice:has-text("payment confirmed")', { timeout: 15_000 });
      await fan.screenshot({ path: `${shots}card-paid-pinned.png` });
      expect(cspViolations).toEqual([]);
    } finally {
      await paying.stop();
    }
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
