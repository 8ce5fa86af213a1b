// The API's own description and the web app, as a client finds them.
import { describe, expect, it } from "vitest";
import { api, BASE } from "./support/api";
import { SELF } from "cloudflare:test";

describe("API docs", () => {
  it("serves an OpenAPI document generated from the validating schemas", async () => {
    const res = await api("GET", "/api/schema/");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const join = res.body.paths["/api/chats/{code}/join/"].post;
    const body = join.requestBody.content["application/json"].schema;
    expect(body.properties.username.type).toBe("string");
    expect(body.properties.fingerprint.maxLength).toBe(128);
    const pin = res.body.paths["/api/chats/{code}/messages/{id}/pin/"].post;
    expect(pin.parameters.map((p: any) => p.name)).toEqual(["code", "id", "Idempotency-Key"]);
    const history = res.body.paths["/api/chats/{code}/messages/"].get;
    expect(history.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(["code", "limit", "before"]));
    expect(Object.keys(res.body.paths).length).toBeGreaterThanOrEqual(20);
  });

  it("serves a browsable docs page and the service index", async () => {
    const docs = await SELF.fetch(`${BASE}/api/docs/`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
    expect(await docs.text()).toContain("/api/schema/");
    expect((await api("GET", "/api/")).body).toMatchObject({ service: "chatpop-edge", docs: "/api/docs/" });
  });
});

describe("the web app", () => {
  it("is served from the Worker's static assets, for any page path", async () => {
    for (const path of ["/", "/?room=abcdefgh", "/some/deep/link"]) {
      const res = await SELF.fetch(`${BASE}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain('<div id="app">');
    }
    const js = await SELF.fetch(`${BASE}/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
  });
});
