// The API describes itself: an OpenAPI document generated from the routes, with
// every operation's request and response schemas, and Scalar's page over it.
import { describe, expect, it } from "vitest";
import { app, SCALAR_SCRIPT } from "../src/app";
import { tokenAnswer } from "../src/features/accounts/schemas";
import { historyPageSchema, messageSchema, reactAnswer } from "../src/features/messages/schemas";
import { joinAnswer, participationAnswer, roomSchema } from "../src/features/rooms/schemas";
import { api, BASE, register, worker } from "./support/api";

const schemaDoc = async () => (await api("GET", "/api/schema/")).body;

/** Every route the app answers, as the document names it: `post /api/chats/{code}/join/`. */
function appOperations(): string[] {
  const ops = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL" || r.path.includes("*")) continue; // middleware
    const path = r.path.replace(/:(\w+)/g, "{$1}").replace(/\/?$/, "/");
    ops.add(`${r.method.toLowerCase()} ${path}`);
  }
  return [...ops].sort();
}

describe("the OpenAPI document", () => {
  it("documents every route of the app, each with a summary and its answers", async () => {
    const doc = await schemaDoc();
    const documented = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`))
      .sort();
    expect(appOperations().length).toBeGreaterThanOrEqual(29);
    expect(documented).toEqual(appOperations());
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
        expect(Object.keys(op.responses), `${method} ${path}`).toContain("default");
      }
    }
  });

  it("shows request bodies, query parameters, headers and response schemas from the validating zod schemas", async () => {
    const doc = await schemaDoc();
    expect(doc.openapi).toBe("3.1.0");
    const join = doc.paths["/api/chats/{code}/join/"].post;
    const body = join.requestBody.content["application/json"].schema;
    expect(body.properties.username.type).toBe("string");
    expect(body.properties.fingerprint.maxLength).toBe(128);
    expect(join.responses["200"].content["application/json"].schema.properties.session_token.type).toBe("string");
    const pin = doc.paths["/api/chats/{code}/messages/{id}/pin/"].post;
    expect(pin.parameters.map((p: any) => p.name).sort()).toEqual(["Idempotency-Key", "code", "id"]);
    expect(Object.keys(pin.responses).sort()).toEqual(["200", "400", "402", "default"]);
    const history = doc.paths["/api/chats/{code}/messages/"].get;
    expect(history.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(["code", "limit", "before"]));
    expect(history.responses["200"].content["application/json"].schema.properties.messages.type).toBe("array");
    expect(doc.components.schemas.Error.required).toEqual(["error", "detail", "code"]);
    // The original web client's calls are documented too.
    for (const path of ["/api/auth/check-username/", "/api/chats/{code}/check-rate-limit/", "/api/chats/{code}/fingerprint-username/", "/api/chats/{code}/backroom/members/"]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });

  it("matches what the main operations really answer", async () => {
    const registered = await api("POST", "/api/auth/register/", {
      body: { email: `doc${crypto.randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", reserved_username: `doc_${crypto.randomUUID().slice(0, 8)}` },
    });
    expect(tokenAnswer.safeParse(registered.body).error).toBeUndefined();
    const host = await register();
    const created = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Documented" } });
    expect(roomSchema.safeParse(created.body).error).toBeUndefined();
    const code = created.body.code;
    expect(roomSchema.safeParse((await api("GET", `/api/chats/${code}/`)).body).error).toBeUndefined();
    const joined = await api("POST", `/api/chats/${code}/join/`, { body: { username: "doc_guest", fingerprint: "doc-device" } });
    expect(joinAnswer.safeParse(joined.body).error).toBeUndefined();
    const mine = await api("GET", `/api/chats/${code}/my-participation/?fingerprint=doc-device`);
    expect(participationAnswer.safeParse(mine.body).error).toBeUndefined();
    const notYet = await api("GET", `/api/chats/${code}/my-participation/?fingerprint=doc-other`);
    expect(notYet.body).toEqual({ has_joined: false });
    expect(participationAnswer.safeParse(notYet.body).error).toBeUndefined();
    const token = joined.body.session_token;
    const sent = await api("POST", `/api/chats/${code}/messages/send/`, { body: { message: "hello", client_id: "c1", session_token: token } });
    expect(sent.status).toBe(201);
    expect(messageSchema.safeParse(sent.body).error).toBeUndefined();
    const reacted = await api("POST", `/api/chats/${code}/messages/${sent.body.id}/react/`, { body: { emoji: "👍", session_token: token } });
    expect(reactAnswer.safeParse(reacted.body).error).toBeUndefined();
    const page = await api("GET", `/api/chats/${code}/messages/`);
    expect(historyPageSchema.safeParse(page.body).error).toBeUndefined();
    expect(page.body.count).toBe(1);
  });
});

describe("the API reference page", () => {
  it("is Scalar over /api/schema/, its script served from the app's own assets", async () => {
    const docs = await worker.fetch(`${BASE}/api/docs/`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
    const html = await docs.text();
    expect(html).toContain(`src="${SCALAR_SCRIPT}"`);
    expect(html).toContain("/api/schema/");
    expect(html).not.toMatch(/https?:\/\/cdn\./);
    const script = await worker.fetch(`${BASE}${SCALAR_SCRIPT}`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });

  it("sits beside the service index", async () => {
    expect((await api("GET", "/api/")).body).toEqual({
      service: "chatpop-edge",
      api: "/api/",
      websocket: "/ws/chat/{code}/",
      docs: "/api/docs/",
      schema: "/api/schema/",
      // This project pays through the test provider: nothing to confirm in the browser.
      payments: { provider: "test", publishable_key: null, stripe_js: null },
    });
  });
});

describe("the web app", () => {
  it("is served from the Worker's static assets, for any page path", async () => {
    for (const path of ["/", "/?room=abcdefgh", "/some/deep/link"]) {
      const res = await worker.fetch(`${BASE}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain('<div id="app">');
    }
    const js = await worker.fetch(`${BASE}/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
  });
});
