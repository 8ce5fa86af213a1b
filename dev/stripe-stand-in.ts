// A local stand-in for the part of Stripe's API the Stripe provider uses, so
// the real provider (the stripe SDK, pointed here by STRIPE_API_BASE) runs in
// tests and in `STRIPE=local npm run dev` without a network or an account.
//   POST /v1/payment_intents             create (Idempotency-Key: same key + same body → the
//                                        same intent; another body → 400 idempotency_error)
//   GET  /v1/payment_intents/:id         retrieve
//   POST /v1/payment_intents/:id/cancel  cancel
//   POST /v1/refunds                     refund a succeeded intent (payment_intent=…, amount=… or the rest)
// What a customer or Stripe would do next is an admin command, answered with the
// webhook event it produced, signed exactly as Stripe signs (Stripe-Signature:
// t=…,v1=HMAC-SHA256(secret, "t.payload")); with a webhook URL configured it is
// also delivered there:
//   POST /__admin/payment_intents/:id/{succeed|fail|refund[?amount=]|dispute|dispute-won|dispute-lost}
//   POST /__admin/events/:id/resend      the same event again (a retry, as Stripe does)
//   POST /__admin/config                 {webhook_url}: where to deliver from now on
// and the stand-ins' fault hooks (dev/stand-in-server.ts: /__fault/{down,up,latency}, /__stats).
// For the web app it also stands in for Stripe.js (GET /js/stripe.js: Stripe(pk), elements,
// the Payment Element as a card-number field, confirmPayment) and the confirm call it makes
// (POST /v1/payment_intents/:id/confirm with the client secret): card 4000 0000 0000 0002 is
// declined, any other succeeds; either way the webhook follows, as with Stripe.
import { createHmac, randomBytes } from "node:crypto";
import { Hono, type Context } from "hono";
import { Faults, serve } from "./stand-in-server.ts";

/** The signing secret of the stand-in's webhooks: a local value, as the tests and `npm run dev` configure it. */
export const STAND_IN_WEBHOOK_SECRET = "whsec_local_stripe_stand_in_0123456789";
/** Any key the stand-in accepts (it checks only that one is sent). */
export const STAND_IN_SECRET_KEY = "sk_test_local_stripe_stand_in";
/** The publishable key the web app gets with the stand-in (its Stripe.js accepts any). */
export const STAND_IN_PUBLISHABLE_KEY = "pk_test_local_stripe_stand_in";

interface Intent {
  id: string;
  object: "payment_intent";
  amount: number;
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
  status: "requires_payment_method" | "succeeded" | "canceled";
  client_secret: string;
  created: number;
  last_payment_error: { message: string } | null;
  amount_refunded: number;
}

interface Event {
  id: string;
  type: string;
  payload: string;
}

const DECLINED_CARD = "4000000000000002";

/**
 * The stand-in's Stripe.js: the calls the web app makes, with Stripe's names and shapes
 * (Stripe(pk), stripe.elements({clientSecret}), elements.create("payment").mount(selector),
 * stripe.confirmPayment({elements, redirect: "if_required"}) → {paymentIntent} | {error}).
 * Its confirm goes to the page's own origin under /api/dev/stripe/ (the Worker forwards it here in
 * development), as Stripe.js would go to api.stripe.com.
 */
const STRIPE_JS = `(() => {
  window.Stripe = function (publishableKey) {
    return {
      elements(options) {
        let field = null;
        return {
          clientSecret: options.clientSecret,
          create() {
            return {
              mount(target) {
                const host = typeof target === "string" ? document.querySelector(target) : target;
                field = document.createElement("input");
                field.name = "card-number";
                field.placeholder = "Card number (test: 4242 4242 4242 4242)";
                field.autocomplete = "cc-number";
                host.replaceChildren(field);
              },
            };
          },
          cardNumber: () => (field ? field.value : ""),
        };
      },
      async confirmPayment({ elements }) {
        const id = elements.clientSecret.split("_secret_")[0];
        const body = new URLSearchParams({ client_secret: elements.clientSecret, card_number: elements.cardNumber(), key: publishableKey });
        const res = await fetch("/api/dev/stripe/v1/payment_intents/" + id + "/confirm", { method: "POST", body });
        const answer = await res.json();
        return res.ok ? { paymentIntent: answer } : { error: { type: answer.error.type, message: answer.error.message } };
      },
    };
  };
})();
`;

/** The Worker settings that make it pay through the stand-in at `apiBase` (tests, `STRIPE=local npm run dev`). */
export const standInVars = (apiBase: string): Record<string, string> => ({
  STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
  STRIPE_API_BASE: apiBase,
  STRIPE_WEBHOOK_SECRET: STAND_IN_WEBHOOK_SECRET,
  STRIPE_PUBLISHABLE_KEY: STAND_IN_PUBLISHABLE_KEY,
});

export interface StripeStandIn {
  url: string;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

/** Stripe's signature header for a payload, at a time. */
export function stripeSignature(payload: string, secret: string, at = Math.floor(Date.now() / 1000)): string {
  return `t=${at},v1=${createHmac("sha256", secret).update(`${at}.${payload}`).digest("hex")}`;
}

/** Stripe's form encoding, as the SDK sends it: a[b]=c pairs into nested objects. */
function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(/\[|\]\[|\]/).filter(Boolean);
    let at: Record<string, unknown> = out;
    for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[path.at(-1)!] = value;
  }
  return out;
}

export async function startStripeStandIn(opts: { port?: number; webhookUrl?: string; webhookSecret?: string } = {}): Promise<StripeStandIn> {
  const secret = opts.webhookSecret ?? STAND_IN_WEBHOOK_SECRET;
  let webhookUrl = opts.webhookUrl;
  const intents = new Map<string, Intent>();
  const byKey = new Map<string, { body: string; intentId: string }>();
  const events = new Map<string, Event>();
  const faults = new Faults();

  const stripeError = (c: Context, status: 400 | 401 | 402 | 404 | 500 | 503, type: string, message: string) => c.json({ error: { type, message } }, status);

  async function emit(type: string, object: unknown): Promise<Event> {
    const event: Event = {
      id: id("evt"),
      type,
      payload: JSON.stringify({ id: "", object: "event", type, created: Math.floor(Date.now() / 1000), data: { object } }),
    };
    event.payload = event.payload.replace('"id":""', `"id":"${event.id}"`);
    events.set(event.id, event);
    await deliver(event);
    return event;
  }

  async function deliver(event: Event) {
    if (!webhookUrl) return;
    await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": stripeSignature(event.payload, secret) },
      body: event.payload,
    }).catch((e) => console.error(`[stripe] webhook delivery to ${webhookUrl} failed: ${e.message}`));
  }

  const signed = (event: Event) => ({ event_id: event.id, type: event.type, payload: event.payload, signature: stripeSignature(event.payload, secret) });

  /** The customer paid (the browser's confirm, or the admin command): one path for both. */
  function succeed(intent: Intent): Promise<Event> {
    intent.status = "succeeded";
    intent.last_payment_error = null;
    return emit("payment_intent.succeeded", intent);
  }

  /** The card was declined: the intent can be paid again, as with Stripe. */
  function decline(intent: Intent): Promise<Event> {
    intent.status = "requires_payment_method";
    intent.last_payment_error = { message: "Your card was declined." };
    return emit("payment_intent.payment_failed", intent);
  }

  /** Refunds `amount` (the rest when absent); the charge's amount_refunded is the running total, as Stripe's. */
  async function refund(intent: Intent, amount = intent.amount - intent.amount_refunded) {
    intent.amount_refunded += amount;
    const charge = {
      id: id("ch"),
      object: "charge",
      amount: intent.amount,
      amount_refunded: intent.amount_refunded,
      refunded: intent.amount_refunded >= intent.amount,
      payment_intent: intent.id,
    };
    await emit("charge.refunded", charge);
    return { id: id("re"), object: "refund", amount, payment_intent: intent.id, status: "succeeded" };
  }

  const app = new Hono()
    .route("/", faults.routes())
    .use(faults.gate((c) => stripeError(c, 503, "api_error", "Stripe is down (test fault).")))
    .get("/js/stripe.js", (c) => c.body(STRIPE_JS, 200, { "content-type": "text/javascript" }))
    .post("/__admin/config", async (c) => {
      webhookUrl = (JSON.parse((await c.req.text()) || "{}") as { webhook_url?: string }).webhook_url;
      return c.json({ webhook_url: webhookUrl ?? null });
    })
    // The browser's confirm (Stripe.js with the publishable key and the client secret, no secret key).
    .post("/v1/payment_intents/:id/confirm", async (c) => {
      const intent = intents.get(c.req.param("id"));
      const form = parseForm(await c.req.text());
      if (!intent || form.client_secret !== intent.client_secret) return stripeError(c, 404, "invalid_request_error", "No such payment_intent.");
      if (String(form.card_number ?? "").replace(/\D/g, "") === DECLINED_CARD) {
        await decline(intent);
        return stripeError(c, 402, "card_error", "Your card was declined.");
      }
      await succeed(intent);
      return c.json(intent);
    })
    // Everything else of the API needs a secret key, as Stripe's does.
    .use("/v1/*", async (c, next) => {
      if (!/^Bearer sk_/.test(c.req.header("authorization") ?? "")) return stripeError(c, 401, "invalid_request_error", "No valid API key provided.");
      await next();
    })
    .post("/v1/payment_intents", async (c) => {
      const body = await c.req.text();
      const key = c.req.header("idempotency-key");
      if (key !== undefined) {
        const earlier = byKey.get(key);
        if (earlier && earlier.body !== body) {
          return stripeError(c, 400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.");
        }
        if (earlier) return c.json(intents.get(earlier.intentId));
      }
      const form = parseForm(body);
      const amount = Number(form.amount);
      if (!Number.isInteger(amount) || amount < 50) return stripeError(c, 400, "invalid_request_error", "Amount must be at least 50 cents.");
      const intent: Intent = {
        id: id("pi"),
        object: "payment_intent",
        amount,
        currency: String(form.currency ?? ""),
        description: typeof form.description === "string" ? form.description : null,
        metadata: (form.metadata as Record<string, string>) ?? {},
        status: "requires_payment_method",
        client_secret: "",
        created: Math.floor(Date.now() / 1000),
        last_payment_error: null,
        amount_refunded: 0,
      };
      intent.client_secret = `${intent.id}_secret_${randomBytes(8).toString("hex")}`;
      intents.set(intent.id, intent);
      if (key !== undefined) byKey.set(key, { body, intentId: intent.id });
      return c.json(intent);
    })
    .get("/v1/payment_intents/:id", (c) => {
      const intent = intents.get(c.req.param("id"));
      return intent ? c.json(intent) : stripeError(c, 404, "invalid_request_error", `No such payment_intent: '${c.req.param("id")}'`);
    })
    .post("/v1/payment_intents/:id/cancel", async (c) => {
      const intent = intents.get(c.req.param("id"));
      if (!intent) return stripeError(c, 404, "invalid_request_error", `No such payment_intent: '${c.req.param("id")}'`);
      if (intent.status === "succeeded") return stripeError(c, 400, "invalid_request_error", "This PaymentIntent has already succeeded.");
      intent.status = "canceled";
      await emit("payment_intent.canceled", intent);
      return c.json(intent);
    })
    .post("/v1/refunds", async (c) => {
      const form = parseForm(await c.req.text());
      const intent = intents.get(String(form.payment_intent));
      if (!intent || intent.status !== "succeeded") return stripeError(c, 400, "invalid_request_error", "Only a succeeded PaymentIntent can be refunded.");
      const amount = form.amount === undefined ? undefined : Number(form.amount);
      if (amount !== undefined && !(Number.isInteger(amount) && amount > 0 && amount <= intent.amount - intent.amount_refunded)) {
        return stripeError(c, 400, "invalid_request_error", "The refund amount must be a whole number of cents, at most what is left to refund.");
      }
      return c.json(await refund(intent, amount));
    })
    // Admin: what the customer or Stripe does next.
    .post("/__admin/payment_intents/:id/:action", async (c) => {
      const intent = intents.get(c.req.param("id"));
      if (!intent) return c.json({ error: `no intent ${c.req.param("id")}` }, 404);
      const action = c.req.param("action");
      switch (action) {
        case "succeed":
          return c.json(signed(await succeed(intent)));
        case "fail":
          return c.json(signed(await decline(intent)));
        case "refund": {
          if (intent.status !== "succeeded") return c.json({ error: "only a succeeded intent can be refunded" }, 400);
          const amount = c.req.query("amount");
          await refund(intent, amount === undefined ? undefined : Number(amount));
          return c.json(signed([...events.values()].at(-1)!));
        }
        case "dispute":
        case "dispute-won":
        case "dispute-lost": {
          if (intent.status !== "succeeded") return c.json({ error: "only a succeeded intent can be disputed" }, 400);
          const status = action === "dispute" ? "needs_response" : action === "dispute-won" ? "won" : "lost";
          const disputeObject = { id: id("dp"), object: "dispute", amount: intent.amount - intent.amount_refunded, payment_intent: intent.id, status };
          return c.json(signed(await emit(action === "dispute" ? "charge.dispute.created" : "charge.dispute.closed", disputeObject)));
        }
        default:
          return c.json({ error: `no admin action ${action}: succeed, fail, refund, dispute, dispute-won or dispute-lost` }, 404);
      }
    })
    .post("/__admin/events/:id/resend", async (c) => {
      const event = events.get(c.req.param("id"));
      if (!event) return c.json({ error: `no event ${c.req.param("id")}` }, 404);
      await deliver(event);
      return c.json(signed(event));
    })
    .notFound((c) => stripeError(c, 404, "invalid_request_error", `Unrecognized request URL (${c.req.method}: ${c.req.path}).`))
    .onError((e, c) => stripeError(c, 500, "api_error", String(e)));

  const served = await serve(app, opts.port);
  return { url: served.url, close: served.close };
}
