// Small helpers that drive the public HTTP and WebSocket API of the Worker
// under test, as a client would. No database or cache client is mocked.
import { env, exports } from "cloudflare:workers";
import { Redis } from "@upstash/redis/cloudflare";
import { vi } from "vitest";

export const BASE = "http://chatpop.test";

/** The Worker under test, as the runtime exports it (its default handler). */
export const worker = exports.default;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string>; ip?: string | null } = {},
): Promise<ApiResponse<T>> {
  // Cloudflare's edge sets CF-Connecting-IP; each call comes from its own address
  // unless the test names one (or null: no header at all).
  const headers: Record<string, string> = { ...opts.headers };
  const ip = opts.ip === undefined ? randomIp() : opts.ip;
  if (ip !== null) headers["CF-Connecting-IP"] ??= ip;
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] ??= "application/json";
  }
  const res = await worker.fetch(`${BASE}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // leave as text
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export const randomIp = () => `10.${rand8()}.${rand8()}.${rand8()}`;
const rand8 = () => Math.floor(Math.random() * 256);

export const unique = (prefix = "") => `${prefix}${crypto.randomUUID().replace(/-/g, "").slice(0, 8)}`;

export interface Account {
  token: string;
  user: { id: string; email: string; reserved_username: string };
  password: string;
}

export async function register(reserved = unique("user_")): Promise<Account> {
  const password = "correct horse battery";
  const res = await api("POST", "/api/auth/register/", {
    body: { email: `${unique("e")}@example.com`, password, reserved_username: reserved },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, password };
}

export async function createRoom(host: Account, extra: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/chats/create/", { token: host.token, body: { name: "Test room", ...extra } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { code: string; name: string; ws_url: string; access_mode: string };
}

export interface Joined {
  session_token: string;
  username: string;
  is_host: boolean;
  username_is_reserved: boolean;
  participation_id: string;
}

export async function join(
  code: string,
  username = unique("guest_"),
  opts: { token?: string; fingerprint?: string; access_code?: string; ip?: string } = {},
): Promise<Joined> {
  const res = await api("POST", `/api/chats/${code}/join/`, {
    token: opts.token,
    ip: opts.ip,
    body: { username, fingerprint: opts.token ? opts.fingerprint : (opts.fingerprint ?? unique("fp")), access_code: opts.access_code },
  });
  if (res.status !== 200) throw new Error(`join failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A room with a host account and a fresh code. */
export async function newRoom() {
  const host = await register();
  const room = await createRoom(host);
  return { host, room };
}

export type Frame = Record<string, any>;

/** A connected client socket that records every frame and the close event. */
export class Client {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      this.frames.push(JSON.parse(e.data as string));
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
    });
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  messages(): Frame[] {
    return this.frames.filter((f) => f.type === "message");
  }

  /** Waits until the predicate holds over what arrived so far. */
  async until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
    await vi.waitFor(
      () => {
        if (!predicate()) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.slice(-5))}`);
      },
      { timeout: timeoutMs, interval: 10 },
    );
  }

  async nextFrame(type?: string): Promise<Frame> {
    const start = this.frames.length;
    const find = () => this.frames.slice(start).find((f) => !type || f.type === type);
    await this.until(`a ${type ?? "any"} frame`, () => find() !== undefined);
    return find()!;
  }

  async waitForMessages(n: number, timeoutMs?: number): Promise<Frame[]> {
    await this.until(`${n} messages`, () => this.messages().length >= n, timeoutMs);
    return this.messages();
  }

  async waitForClose(): Promise<{ code: number; reason: string }> {
    await this.until("the socket to close", () => this.closed !== null);
    return this.closed!;
  }

  close() {
    try {
      this.ws.close(1000, "done");
    } catch {
      // already closed
    }
  }
}

export async function connectRaw(code: string, query: string, headers: Record<string, string> = {}): Promise<Response> {
  return worker.fetch(`${BASE}/ws/chat/${code}/${query}`, { headers: { Upgrade: "websocket", ...headers } });
}

export async function connect(code: string, sessionToken: string): Promise<Client> {
  const res = await connectRaw(code, `?session_token=${encodeURIComponent(sessionToken)}`);
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  res.webSocket.accept();
  return new Client(res.webSocket);
}

/** Opens a socket expected to be closed at once, and returns its close code. */
export async function rejectedCloseCode(code: string, query: string): Promise<number> {
  const res = await connectRaw(code, query);
  if (res.status !== 101 || !res.webSocket) throw new Error(`expected an upgrade, got ${res.status}`);
  res.webSocket.accept();
  const client = new Client(res.webSocket);
  return (await client.waitForClose()).code;
}

/** Waits until Postgres and the Redis window have every message the room committed (they follow its broadcast). */
export async function settled(code: string): Promise<void> {
  await env.CHAT_ROOM.getByName(code).settled();
}

/** A client of the same Redis the Worker uses, through the same Upstash REST protocol. */
export function redis(): Redis {
  return new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false, automaticDeserialization: false });
}

const neonProxy = () => `http://${env.NEON_WS_PROXY!.replace(/\/v2$/, "")}`;

/**
 * What the stand-ins have served so far, for the whole stack: Postgres statements (Neon HTTP
 * requests and queries over a WebSocket) and connections opened, and Upstash requests.
 */
export async function standInCounts(): Promise<{ statements: number; connections: number; upstash: number }> {
  const pg = (await (await fetch(`${neonProxy()}/__stats`)).json()) as { http_requests: number; ws_round_trips: number; opened: number };
  const upstash = (await (
    await fetch(`${env.UPSTASH_REDIS_REST_URL}/__stats`, { headers: { Authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` } })
  ).json()) as { requests: number };
  return { statements: pg.http_requests + pg.ws_round_trips, connections: pg.opened, upstash: upstash.requests };
}

/** Runs fn while the local Neon proxy drops and refuses every Postgres connection. */
export async function withPostgresDown<T>(fn: () => Promise<T>): Promise<T> {
  await fetch(`${neonProxy()}/__fault/down`, { method: "POST" });
  try {
    return await fn();
  } finally {
    await fetch(`${neonProxy()}/__fault/up`, { method: "POST" });
  }
}

async function redisFault(kind: "down" | "latency" | "up", ms?: number) {
  const query = ms === undefined ? "" : `?ms=${ms}`;
  const res = await fetch(`${env.UPSTASH_REDIS_REST_URL}/__fault/${kind}${query}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` },
  });
  if (!res.ok) throw new Error(`fault ${kind} refused: ${res.status}`);
}

/** Runs fn while the Upstash stand-in answers every command with 503 (or, with slowMs, answers that late). */
export async function withRedisFault<T>(fn: () => Promise<T>, slowMs?: number): Promise<T> {
  await redisFault(slowMs === undefined ? "down" : "latency", slowMs);
  try {
    return await fn();
  } finally {
    await redisFault("up");
  }
}

/** Opens a socket that resumes after `lastSeq`. */
export async function connectResuming(code: string, sessionToken: string, lastSeq: number | string): Promise<Client> {
  const res = await connectRaw(code, `?session_token=${encodeURIComponent(sessionToken)}&last_seq=${lastSeq}`);
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  res.webSocket.accept();
  return new Client(res.webSocket);
}

/** A socket of the room opened from this address. */
export async function connectFrom(code: string, token: string, ip: string): Promise<Client> {
  const res = await connectRaw(code, `?session_token=${encodeURIComponent(token)}`, { "CF-Connecting-IP": ip });
  res.webSocket!.accept();
  return new Client(res.webSocket!);
}

/** A join, answered as it came (status and body), from the address in opts.ip. */
export const joinRaw = (code: string, body: Record<string, unknown>, opts: { token?: string; ip?: string | null } = {}) =>
  api("POST", `/api/chats/${code}/join/`, { body, ...opts });

/** The caller's participation, by fingerprint or by account. */
export const myParticipation = (code: string, opts: { fingerprint?: string; token?: string } = {}) =>
  api("GET", `/api/chats/${code}/my-participation/${opts.fingerprint ? `?fingerprint=${encodeURIComponent(opts.fingerprint)}` : ""}`, {
    token: opts.token,
  });
