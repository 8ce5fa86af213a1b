// The OpenAPI document at /api/schema/, generated from the zod schemas that
// validate the requests (zod's own JSON Schema output), so the docs cannot
// drift from what the API accepts. Answers are described in words and by the
// shared error shape.
import { z } from "zod";
import { loginSchema, registerSchema } from "../../features/accounts/routes";
import { createSchema, joinSchema, validateSchema } from "../../features/rooms/routes";
import { historyQuery, reactBody, sendBody, tokenBody } from "../../features/messages/routes";
import { banBody } from "../../features/moderation/routes";
import { paidBody } from "../../features/payments/routes";
import { settingsBody } from "../../features/backroom/routes";

interface Operation {
  method: "get" | "post";
  path: string;
  summary: string;
  auth?: "bearer" | "session" | "host session";
  body?: z.ZodType;
  query?: z.ZodObject;
  idempotent?: boolean;
  answer: string;
}

const code = { name: "code", in: "path", required: true, schema: { type: "string", pattern: "^[23456789abcdefghjkmnpqrstuvwxyz]{8}$" } };
const id = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };

const OPERATIONS: Operation[] = [
  { method: "post", path: "/api/auth/register/", summary: "Create an account", body: registerSchema, answer: "201 {user, token}" },
  { method: "post", path: "/api/auth/login/", summary: "Log in", body: loginSchema, answer: "200 {user, token}" },
  { method: "get", path: "/api/auth/me/", summary: "The logged-in account", auth: "bearer", answer: "200 {user}" },
  { method: "post", path: "/api/auth/logout/", summary: "Revoke this token", auth: "bearer", answer: "204" },
  { method: "get", path: "/api/auth/me/earnings/", summary: "Completed income per hosted room", auth: "bearer", answer: "200 {currency, rooms, total_cents}" },
  { method: "post", path: "/api/chats/create/", summary: "Create a room (the caller hosts it)", auth: "bearer", body: createSchema, answer: "201 room" },
  { method: "get", path: "/api/chats/{code}/", summary: "A room", answer: "200 room" },
  { method: "post", path: "/api/chats/{code}/join/", summary: "Join (anonymous with a fingerprint, or logged in)", body: joinSchema, answer: "200 {session_token, username, is_host, username_is_reserved, participation_id}" },
  { method: "get", path: "/api/chats/{code}/my-participation/", summary: "The caller's participation", query: z.object({ fingerprint: z.string().optional() }), answer: "200 participation | 404" },
  { method: "post", path: "/api/chats/{code}/validate-username/", summary: "Is a username available here", body: validateSchema, answer: "200 {available, reason?}" },
  { method: "get", path: "/api/chats/{code}/messages/", summary: "History, newest page first (keyset cursor)", query: historyQuery, answer: "200 {messages, pinned_messages, has_more, next_before, count}" },
  { method: "post", path: "/api/chats/{code}/messages/send/", summary: "Send (the same pipeline as the WebSocket)", auth: "session", body: sendBody, answer: "201 message" },
  { method: "post", path: "/api/chats/{code}/messages/{id}/react/", summary: "Toggle a reaction", auth: "session", body: reactBody, answer: "200 {message_id, emoji, action, reactions}" },
  { method: "get", path: "/api/chats/{code}/messages/{id}/reactions/", summary: "Reaction counts", answer: "200 {message_id, reactions}" },
  { method: "post", path: "/api/chats/{code}/messages/{id}/delete/", summary: "Delete (author or host)", auth: "session", body: tokenBody, answer: "200 {message_id}" },
  { method: "post", path: "/api/chats/{code}/messages/{id}/pin/", summary: "Paid pin", auth: "session", body: paidBody, idempotent: true, answer: "200 {message, transaction} | 402 {transaction, client_secret}" },
  { method: "post", path: "/api/chats/{code}/tip/", summary: "Tip the host", auth: "session", body: paidBody, idempotent: true, answer: "200 {transaction} | 402" },
  { method: "get", path: "/api/chats/{code}/backroom/", summary: "The back room's price and seats", answer: "200 {backroom}" },
  { method: "post", path: "/api/chats/{code}/backroom/", summary: "Open, close or price the back room", auth: "host session", body: settingsBody, answer: "200 {backroom}" },
  { method: "post", path: "/api/chats/{code}/backroom/join/", summary: "Buy a back-room seat", auth: "session", body: paidBody, idempotent: true, answer: "200 {transaction} | 402" },
  { method: "get", path: "/api/chats/{code}/backroom/messages/", summary: "Back-room history (members and host)", auth: "session", query: historyQuery, answer: "200 page" },
  { method: "post", path: "/api/chats/{code}/bans/", summary: "Ban", auth: "host session", body: banBody, answer: "201 {ban, participations_covered, sockets_closed}" },
  { method: "get", path: "/api/chats/{code}/bans/", summary: "List bans", auth: "host session", answer: "200 {bans}" },
  { method: "post", path: "/api/chats/{code}/bans/{id}/unban/", summary: "Lift a ban", auth: "host session", body: tokenBody, answer: "200 {ban}" },
  { method: "post", path: "/api/payments/webhook/", summary: "Stripe webhook (Stripe-Signature checked)", answer: "200 {received, applied}" },
];

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });

let cached: unknown = null;

export function openApiDocument(): unknown {
  cached ??= {
    openapi: "3.1.0",
    info: {
      title: "ChatPop Edge API",
      version: "1.0.0",
      description:
        "Errors are JSON `{error, code, details?}` with the status. WebSocket: GET /ws/chat/{code}/?session_token=…[&last_seq=n] (see API.md).",
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        session: { type: "apiKey", in: "header", name: "X-Session-Token" },
      },
      schemas: {
        Error: { type: "object", required: ["error", "code"], properties: { error: { type: "string" }, code: { type: "string" }, details: { type: "object" } } },
      },
    },
    paths: OPERATIONS.reduce<Record<string, Record<string, unknown>>>((paths, op) => {
      const parameters: unknown[] = [];
      if (op.path.includes("{code}")) parameters.push(code);
      if (op.path.includes("{id}")) parameters.push(id);
      if (op.query) {
        const props = (jsonSchema(op.query) as { properties?: Record<string, unknown> }).properties ?? {};
        for (const [name, schema] of Object.entries(props)) parameters.push({ name, in: "query", required: false, schema });
      }
      if (op.idempotent) parameters.push({ name: "Idempotency-Key", in: "header", required: true, schema: { type: "string", maxLength: 255 } });
      (paths[op.path] ??= {})[op.method] = {
        summary: op.summary,
        ...(op.auth === "bearer" ? { security: [{ bearer: [] }] } : op.auth ? { security: [{ session: [] }] } : {}),
        parameters,
        ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.body) } } } } : {}),
        responses: {
          default: { description: op.answer, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        },
      };
      return paths;
    }, {}),
  };
  return cached;
}

/** A self-contained docs page (no CDN): it reads /api/schema/ and lists every operation. */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ChatPop Edge API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:900px;margin:0 auto;padding:16px;color:#1d1d24}
.op{border:1px solid #ddd;border-radius:8px;margin:10px 0;padding:8px 12px}.m{font-weight:700;text-transform:uppercase;margin-right:8px}
.get{color:#0a7}.post{color:#36c}pre{background:#f6f6f9;padding:8px;overflow:auto;font-size:12px}details summary{cursor:pointer}</style></head>
<body><h1>ChatPop Edge API</h1><p id="intro"></p><div id="ops">Loading /api/schema/…</div>
<script>
fetch("/api/schema/").then(r=>r.json()).then(doc=>{
  document.getElementById("intro").textContent=doc.info.description;
  const ops=document.getElementById("ops");ops.textContent="";
  for(const [path,methods] of Object.entries(doc.paths))for(const [m,op] of Object.entries(methods)){
    const d=document.createElement("div");d.className="op";
    const h=document.createElement("div");h.innerHTML='<span class="m '+m+'">'+m+'</span><code></code> — <span></span>';
    h.querySelector("code").textContent=path;h.querySelector("span:last-child").textContent=op.summary+" → "+op.responses.default.description;d.appendChild(h);
    const detail=document.createElement("details");const s=document.createElement("summary");s.textContent="parameters and body";detail.appendChild(s);
    const pre=document.createElement("pre");pre.textContent=JSON.stringify({parameters:op.parameters,body:op.requestBody?.content["application/json"].schema},null,2);detail.appendChild(pre);d.appendChild(detail);ops.appendChild(d);
  }
});
</script></body></html>`;
