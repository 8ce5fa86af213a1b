// The Hono app: routes mounted under their paths (with or without the trailing
// slash), and the one place errors become the API's JSON error shape.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { originAllowed } from "./platform/http/origins";
import { Scalar } from "@scalar/hono-api-reference";
import { z } from "zod";
import { documented, openApiDocument } from "./platform/http/openapi";
import { ApiError, dbUnavailable, internalError } from "./platform/errors";
import { isDbUnavailable } from "./platform/db";
import { withDb, type AppEnv } from "./platform/http/context";
import { checkQueryText, limitBody } from "./platform/http/body";
import { authRoutes } from "./features/accounts/routes";
import { banRoutes } from "./features/moderation/routes";
import { backroomRoutes } from "./features/backroom/routes";
import { earningsRoutes, paidRoutes, webhookRoutes } from "./features/payments/routes";
import { chatRoutes } from "./features/rooms/routes";
import { messageRoutes } from "./features/messages/routes";
import { wsRoutes } from "./room/upgrade-route";
import { errorText, logEvent } from "./platform/log";
import { secretsProblem } from "./domain/secrets";
import { canonicalRoomPath } from "./domain/room-code";
import { paymentProvider } from "./features/payments/provider";
import { ACCESS_CODE_HEADER, IDEMPOTENCY_KEY_HEADER, SESSION_TOKEN_HEADER } from "./protocol";
import { validRoomCode } from "./features/rooms/lookup";
import { healthRoutes } from "./features/health/routes";
import { operationsRoutes } from "./features/operations/routes";

const HEALTH_PATH = /^\/api\/health\/?$/;

export const app = new Hono<AppEnv>({ strict: false });

/** Scalar's browser bundle, copied into the static assets by dev/build-web.ts. */
export const SCALAR_SCRIPT = "/docs-assets/scalar.js";

const serviceIndex = z.object({
  service: z.string(),
  api: z.string(),
  websocket: z.string(),
  docs: z.string(),
  schema: z.string(),
  payments: z
    .object({
      provider: z.enum(["stripe", "test"]).nullable(),
      publishable_key: z.string().nullable().describe("Stripe's publishable key, for confirming a 402 payment in the browser."),
      stripe_js: z.string().nullable().describe("Where to load Stripe.js from."),
    })
    .describe("How a client finishes a payment that answered 402."),
});

const noRoute = (method: string, path: string) => new ApiError(404, "NOT_FOUND", `No route for ${method} ${path}.`);

/** The local Stripe stand-in is in use (development only: LOCAL_DEV and STRIPE_API_BASE). */
const localStripe = (env: Env) => env.LOCAL_DEV === "true" && Boolean(env.STRIPE_API_BASE);

// A deploy with missing or unsafe secrets refuses every request (before anything is written), and says why in
// the log; all but the health check, which reports it (so a deploy can tell it from an outage).
app.use("*", async (c, next) => {
  const problem = secretsProblem(c.env);
  if (problem === null || HEALTH_PATH.test(c.req.path)) return next();
  logEvent("secrets_unsafe", { problem });
  const err = new ApiError(503, "SERVICE_MISCONFIGURED", "The service is not configured safely yet; its operator has been told why in the log.");
  return c.json(err.toJSON(), err.status);
});

// A room code in another case (the original ChatPop's upper-case codes) is served as its one lower-case
// spelling: the request goes through the app again with the canonical path, so no route sees two.
app.use("*", async (c, next) => {
  const canonical = canonicalRoomPath(c.req.path);
  if (canonical === null) return next();
  const url = new URL(c.req.url);
  url.pathname = canonical;
  return app.fetch(new Request(url, c.req.raw), c.env, c.executionCtx);
});

// Browsers: only the sites in ALLOWED_ORIGINS get CORS answers; every API answer carries security headers.
app.use(
  "/api/*",
  cors({
    origin: (origin, c) => (originAllowed(c.env.ALLOWED_ORIGINS, origin, c.req.url) ? origin : null),
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", IDEMPOTENCY_KEY_HEADER, SESSION_TOKEN_HEADER, ACCESS_CODE_HEADER],
    exposeHeaders: ["Retry-After"],
    maxAge: 600,
  }),
);
app.use("/api/*", secureHeaders({ crossOriginResourcePolicy: "cross-origin" }));
app.use("/api/*", limitBody());
app.use("*", checkQueryText());
app.use("/api/*", withDb);
app.use("/api/chats/:code/*", validRoomCode);
app.use("/ws/*", withDb);
const routes = app
  .route("/api/health", healthRoutes)
  .route("/api/ops", operationsRoutes)
  .route("/api/auth", authRoutes)
  .route("/api/chats", chatRoutes)
  .route("/api/chats", messageRoutes)
  .route("/api/chats", banRoutes)
  .route("/api/chats", paidRoutes)
  .route("/api/chats", backroomRoutes)
  .route("/api/payments", webhookRoutes)
  .route("/api/auth", earningsRoutes)
  .route("/ws", wsRoutes);

/** The API's routes as a type: the typed client (hono/client) is built from it. */
export type AppType = typeof routes;

app.get(
  "/api/schema",
  documented({
    summary: "This OpenAPI document",
    tags: ["service"],
    answers: { 200: { description: "OpenAPI 3.1, generated from the routes" } },
  }),
  async (c) => c.json(await openApiDocument(app)),
);
// Scalar's page, with its script served from the app's own assets (dev/build-web.ts copies it):
// no CDN, so the docs work where a CDN is blocked.
app.get(
  "/api/docs",
  documented({ summary: "The API reference page (Scalar)", tags: ["service"], answers: { 200: { description: "An HTML page" } } }),
  Scalar({ url: "/api/schema/", cdn: SCALAR_SCRIPT, pageTitle: "ChatPop Edge API" }),
);
app.get(
  "/api",
  documented({
    summary: "Where things are",
    tags: ["service"],
    answers: { 200: { description: "The service index", schema: serviceIndex } },
  }),
  (c) => {
    const provider = paymentProvider(c.env)?.name ?? null;
    const stripe = provider === "stripe" && c.env.STRIPE_PUBLISHABLE_KEY;
    return c.json({
      service: "chatpop-edge",
      api: "/api/",
      websocket: "/ws/chat/{code}/",
      docs: "/api/docs/",
      schema: "/api/schema/",
      payments: {
        provider,
        publishable_key: stripe ? c.env.STRIPE_PUBLISHABLE_KEY : null,
        stripe_js: stripe ? (localStripe(c.env) ? "/api/dev/stripe/stripe.js" : "https://js.stripe.com/v3/") : null,
      },
    });
  },
);

// Development with the local Stripe stand-in: the page's Stripe.js and its confirm call come
// through here (same origin, so the Content-Security-Policy stays 'self'). Absent otherwise.
app.on(["GET", "POST"], "/api/dev/stripe/*", async (c) => {
  if (!localStripe(c.env)) throw noRoute(c.req.method, c.req.path);
  const path = c.req.path === "/api/dev/stripe/stripe.js" ? "/js/stripe.js" : c.req.path.slice("/api/dev/stripe".length);
  const init: RequestInit = { method: c.req.method, headers: { "content-type": c.req.header("content-type") ?? "application/x-www-form-urlencoded" } };
  if (c.req.method === "POST") init.body = await c.req.text();
  const res = await fetch(`${c.env.STRIPE_API_BASE}${path}`, init);
  return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
}
);

app.notFound((c) => {
  // Requests that reach the Worker without matching a route: the API answers in JSON; any other
  // path belongs to the web app (the assets router usually serves those before the Worker runs).
  const isApi = c.req.path.startsWith("/api/") || c.req.path === "/api" || c.req.path.startsWith("/ws/");
  if (!isApi && c.env.ASSETS && c.req.method === "GET") return c.env.ASSETS.fetch(c.req.raw);
  const err = noRoute(c.req.method, c.req.path);
  return c.json(err.toJSON(), err.status);
});

app.onError((err, c) => {
  if (err instanceof ApiError) return c.json(err.toJSON(), err.status, err.headers);
  if (err instanceof HTTPException) {
    const http = new ApiError(err.status as ContentfulStatusCode, "HTTP_ERROR", err.message || "The request could not be handled.");
    return c.json(http.toJSON(), http.status);
  }
  if (isDbUnavailable(err)) {
    logEvent("db_unavailable", { path: c.req.routePath, error: errorText(err) });
    return c.json(dbUnavailable().toJSON(), 503);
  }
  logEvent("internal_error", { path: c.req.routePath, error: errorText(err) });
  return c.json(internalError().toJSON(), 500);
});
