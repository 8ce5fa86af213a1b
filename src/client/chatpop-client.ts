// The typed ChatPop client: the REST API and a room connection that behaves
// like the original ChatPop hook — up to 5 reconnect attempts 2 s apart, then
// backing off — resumes with last_seq (no gap, no duplicate), and queues sends
// with a client_id so a send made while offline or lost in a drop is retried
// and still stored once. Runs in browsers and in Node 22 (global fetch and
// WebSocket; Node 20 passes a WebSocket class in). From the server it imports
// only the protocol (types and close codes) and, as a type, the routes. Other
// projects get it as the @chatpop-edge/client package (packages/client, built
// by dev/build-client.ts into one script and one self-contained .d.ts).

import { hc, type ClientResponse } from "hono/client";
import ReconnectingWebSocket from "partysocket/ws";
import type { AppType } from "../app";
import { CLOSE_BANNED, FINAL_CLOSE_CODES, PING_TEXT, protocolsFor } from "../protocol";
import type {
  ErrorFrame,
  GapFrame,
  KickedFrame,
  MessageDeletedFrame,
  PinnedFrame,
  PresenceFrame,
  PublicMessage,
  ReactionFrame,
  UnpinnedFrame,
} from "../protocol";
import { IDEMPOTENCY_KEY_HEADER, SESSION_TOKEN_HEADER } from "../protocol";

/** The public message object (the protocol's own type, so it cannot drift from the server's). */
export type ChatMessage = PublicMessage;
export type { MessageType } from "../protocol";

/** What the routes answer, derived from them (so they follow the server): a room, a join, a history page. */
export type Room = Awaited<ReturnType<ChatPopApi["room"]>>;
export type Session = Awaited<ReturnType<ChatPopApi["join"]>>;
export type HistoryPage = Awaited<ReturnType<ChatPopApi["history"]>>;
/** A session with the room and its newest page beside it (enter). */
export type Entry = Awaited<ReturnType<ChatPopApi["enter"]>>;

export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed" | "kicked";

export interface RoomEvents {
  message: ChatMessage;
  reaction: Omit<ReactionFrame, "type">;
  message_deleted: Omit<MessageDeletedFrame, "type">;
  presence: Omit<PresenceFrame, "type">;
  pinned: Omit<PinnedFrame, "type">;
  unpinned: Omit<UnpinnedFrame, "type">;
  kicked: Omit<KickedFrame, "type">;
  /** A resume left out older missed messages: page them with history({ before, channel }). */
  gap: Omit<GapFrame, "type">;
  error: Omit<ErrorFrame, "type">;
  status: { status: ConnectionStatus; attempt: number; retryInMs: number | null };
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * The REST API, through hono/client: paths, bodies and answers are typed from
 * the server's own routes (AppType), so a changed route changes these types.
 * Every method throws ApiFailure with the server's code on an error answer
 * (402, "confirm the payment", is an answer, not an error).
 */
export class ChatPopApi {
  token: string | null = null;
  private readonly rpc: ReturnType<typeof hc<AppType>>;
  private readonly base: string;

  constructor(readonly baseUrl = "") {
    // In a page, "" means this site; hono/client needs an absolute base.
    const base = baseUrl || ((globalThis as { location?: { origin: string } }).location?.origin ?? "");
    this.base = base;
    this.rpc = hc<AppType>(base, { headers: (): Record<string, string> => (this.token ? { Authorization: `Bearer ${this.token}` } : {}) });
  }

  private async call<R extends ClientResponse<unknown>>(pending: Promise<R>): Promise<Answer<R>> {
    const res = await pending;
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok && res.status !== 402) throw new ApiFailure(res.status, data?.code ?? "HTTP_ERROR", data?.error ?? res.statusText, data?.details);
    return data as Answer<R>;
  }

  private get chats() {
    return this.rpc.api.chats[":code"];
  }

  async register(email: string, password: string, reservedUsername?: string | null) {
    const r = await this.call(this.rpc.api.auth.register.$post({ json: { email, password, reserved_username: reservedUsername } }));
    this.token = r.token;
    return r;
  }

  async login(email: string, password: string) {
    const r = await this.call(this.rpc.api.auth.login.$post({ json: { email, password } }));
    this.token = r.token;
    return r;
  }

  /** Where things are, and how a 402 payment is confirmed in a browser (Stripe's publishable key and Stripe.js). */
  async service(): Promise<ServiceIndex> {
    const res = await fetch(new URL("/api/", this.base));
    if (!res.ok) throw new ApiFailure(res.status, "HTTP_ERROR", res.statusText);
    return (await res.json()) as ServiceIndex;
  }

  me() {
    return this.call(this.rpc.api.auth.me.$get());
  }

  async logout() {
    await this.call(this.rpc.api.auth.logout.$post());
    this.token = null;
  }

  createRoom(input: { name: string; description?: string; access_mode?: "public" | "private"; access_code?: string }) {
    return this.call(this.rpc.api.chats.create.$post({ json: input }));
  }

  room(code: string) {
    return this.call(this.chats.$get({ param: { code } }));
  }

  join(code: string, input: { username: string; fingerprint?: string; access_code?: string }) {
    return this.call(this.chats.join.$post({ param: { code }, json: input }));
  }

  /** Join and read in one request (one database round trip): the room, a session and the newest page of the main room. */
  enter(code: string, input: { username: string; fingerprint?: string; access_code?: string }) {
    return this.call(this.chats.enter.$post({ param: { code }, json: input }));
  }

  history(code: string, opts: { before?: string | null; limit?: number; sessionToken?: string; channel?: "main" | "backroom" } = {}) {
    const query = { ...(opts.limit ? { limit: String(opts.limit) } : {}), ...(opts.before ? { before: opts.before } : {}) };
    const headers = opts.sessionToken ? session(opts.sessionToken) : {};
    return opts.channel === "backroom"
      ? this.call(this.chats.backroom.messages.$get({ param: { code }, query }, headers))
      : this.call(this.chats.messages.$get({ param: { code }, query }, headers));
  }

  react(code: string, messageId: string, sessionToken: string, emoji: string) {
    return this.call(this.chats.messages[":id"].react.$post({ param: { code, id: messageId }, json: { emoji } }, session(sessionToken)));
  }

  deleteMessage(code: string, messageId: string, sessionToken: string) {
    return this.call(this.chats.messages[":id"].delete.$post({ param: { code, id: messageId }, json: {} }, session(sessionToken)));
  }

  pin(code: string, messageId: string, sessionToken: string, amountCents: number, idempotencyKey = newId()) {
    return this.call(
      this.chats.messages[":id"].pin.$post(
        { param: { code, id: messageId }, json: { amount_cents: amountCents } },
        session(sessionToken, { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey }),
      ),
    );
  }

  /** Tips the host (402 with a client_secret when the payment needs the client). */
  tip(code: string, sessionToken: string, amountCents: number, idempotencyKey = newId()) {
    return this.call(this.chats.tip.$post({ param: { code }, json: { amount_cents: amountCents } }, session(sessionToken, { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey })));
  }

  /** The logged-in host's income per room, a page at a time. */
  earnings(opts: { after?: string | null; limit?: number } = {}) {
    const query = { ...(opts.limit ? { limit: String(opts.limit) } : {}), ...(opts.after ? { after: opts.after } : {}) };
    return this.call(this.rpc.api.auth.me.earnings.$get({ query }));
  }

  ban(code: string, hostSessionToken: string, target: { username?: string; user_id?: string; reason?: string; announce?: boolean }) {
    return this.call(this.chats.bans.$post({ param: { code }, json: target }, session(hostSessionToken)));
  }

  /** Buys a back-room seat (402 with a client_secret when the payment needs the client). */
  joinBackroom(code: string, sessionToken: string, idempotencyKey = newId()) {
    return this.call(this.chats.backroom.join.$post({ param: { code }, json: {} }, session(sessionToken, { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey })));
  }

  backroom(code: string, sessionToken?: string) {
    return this.call(this.chats.backroom.$get({ param: { code }, query: {} }, sessionToken ? session(sessionToken) : {}));
  }
}

/** A room session travels in the X-Session-Token header, never in a URL. */
const session = (token: string, extra: Record<string, string> = {}) => ({ headers: { [SESSION_TOKEN_HEADER]: token, ...extra } });

/** GET /api/: the service index (not one of the typed routes). */
export interface ServiceIndex {
  service: string;
  payments: { provider: "stripe" | "test" | null; publishable_key: string | null; stripe_js: string | null };
}

/** What a call answers when it succeeds (or asks for payment): the JSON its route returns. */
type Answer<R> = R extends ClientResponse<infer T, infer _S, infer _F> ? T : never;

export function newId(): string {
  return crypto.randomUUID();
}

/**
 * A WebSocket class given by its constructor alone, so the package's declarations
 * need neither the DOM's types nor Node's (the ws package's class fits it too).
 */
export type WebSocketClass = new (url: string, protocols?: string | string[]) => object;

type Handler<K extends keyof RoomEvents> = (event: RoomEvents[K]) => void;

export interface ReconnectPolicy {
  /** The first wait before reconnecting (each client adds up to half again, so a room's clients spread out). */
  delayMs: number;
  /** How much each further wait grows. */
  growFactor: number;
  /** The longest wait. */
  maxDelayMs: number;
  /** How long a connect may take before it is abandoned and tried again. */
  connectTimeoutMs: number;
  /** How often an open socket sends the keep-alive (the server closes a socket silent for 5 minutes). */
  keepAliveMs: number;
}

/**
 * One room's live connection. partysocket keeps the socket up (connect timeout,
 * backoff with jitter); on top of it this class resumes with last_seq, keeps
 * sends until the server acknowledges their client_id, and stops for good on
 * the protocol's final close codes.
 */
export class RoomConnection {
  private ws: ReconnectingWebSocket | null = null;
  /** The current underlying socket, so drop() can fail it the way a network would. */
  private transport: WebSocket | null = null;
  private handlers = new Map<keyof RoomEvents, Set<Handler<any>>>();
  private pending = new Map<string, Record<string, unknown>>();
  private attempt = 0;
  status: ConnectionStatus = "closed";
  lastSeq: number;
  /** The newest back-room seq seen (members and the host): a reconnect resumes the back room from it. */
  lastBackroomSeq: number;

  constructor(
    private readonly opts: {
      baseUrl: string;
      code: string;
      sessionToken: string;
      /** Resume after this seq (the newest message the page already shows). */
      lastSeq?: number;
      /** Resume the back room after this seq (members and the host). */
      lastBackroomSeq?: number;
      reconnect?: Partial<ReconnectPolicy>;
      /** Where there is no global WebSocket (Node 20): the class to use, such as the ws package's. */
      WebSocketImpl?: WebSocketClass;
    },
  ) {
    this.lastSeq = opts.lastSeq ?? 0;
    this.lastBackroomSeq = opts.lastBackroomSeq ?? 0;
  }

  private get policy(): ReconnectPolicy {
    return { delayMs: 2000, growFactor: 1.5, maxDelayMs: 30_000, connectTimeoutMs: 5000, keepAliveMs: 30_000, ...this.opts.reconnect };
  }

  on<K extends keyof RoomEvents>(type: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  private emit<K extends keyof RoomEvents>(type: K, event: RoomEvents[K]) {
    for (const h of this.handlers.get(type) ?? []) h(event);
  }

  private setStatus(status: ConnectionStatus, retryInMs: number | null = null) {
    this.status = status;
    this.emit("status", { status, attempt: this.attempt, retryInMs });
  }

  /** The socket URL, with the newest seqs seen so far: each reconnect resumes from there. The token is not in it. */
  private url(): string {
    // In a page, "" means this site; elsewhere the base URL is required.
    const here = (globalThis as { location?: { origin: string } }).location?.origin ?? "";
    const base = this.opts.baseUrl || here;
    const url = new URL(`/ws/chat/${encodeURIComponent(this.opts.code)}/`, base.replace(/^http/, "ws"));
    if (this.lastSeq > 0) url.searchParams.set("last_seq", String(this.lastSeq));
    if (this.lastBackroomSeq > 0) url.searchParams.set("last_backroom_seq", String(this.lastBackroomSeq));
    return url.toString();
  }

  connect(): void {
    const Impl = (this.opts.WebSocketImpl ?? globalThis.WebSocket) as typeof WebSocket | undefined;
    if (!Impl) throw new Error("No WebSocket here (Node < 22): pass one in, e.g. new RoomConnection({ …, WebSocketImpl: WebSocket }) with WebSocket from the ws package");
    this.ws?.close();
    const { delayMs, growFactor, maxDelayMs, connectTimeoutMs } = this.policy;
    this.attempt = 0;
    this.setStatus("connecting");
    const track = (socket: WebSocket) => (this.transport = socket);
    const Tracked = class extends Impl {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        track(this);
      }
    };
    // The session token goes as a subprotocol (browsers cannot set headers on a WebSocket).
    const ws = new ReconnectingWebSocket(() => this.url(), protocolsFor(this.opts.sessionToken), {
      WebSocket: Tracked,
      minReconnectionDelay: delayMs * (1 + Math.random() / 2),
      reconnectionDelayGrowFactor: growFactor,
      maxReconnectionDelay: maxDelayMs,
      connectionTimeout: connectTimeoutMs,
      // Sends wait in `pending`, not in partysocket's queue, so each goes once per connection.
      maxEnqueuedMessages: 0,
      shouldReconnectOnClose: (e) => !FINAL_CLOSE_CODES.includes(e.code),
    });
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.setStatus("open");
      // The exact keep-alive text: the server's runtime answers it without waking the room.
      this.stopKeepAlive();
      this.keepAlive = setInterval(() => {
        if (this.ws === ws && this.status === "open") ws.send(PING_TEXT);
      }, this.policy.keepAliveMs);
      // Sends not acknowledged before the drop go again: the server stores each client_id once.
      for (const frame of this.pending.values()) ws.send(JSON.stringify(frame));
    });
    ws.addEventListener("message", (e) => this.receive(String((e as MessageEvent).data)));
    ws.addEventListener("close", (e) => {
      if (this.ws !== ws) return;
      this.stopKeepAlive();
      const code = (e as CloseEvent).code;
      if (code === CLOSE_BANNED) return this.stop("kicked");
      if (FINAL_CLOSE_CODES.includes(code)) return this.stop("closed");
      this.attempt++;
      this.setStatus("reconnecting");
    });
  }

  private keepAlive: ReturnType<typeof setInterval> | null = null;

  private stopKeepAlive() {
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  private stop(status: ConnectionStatus) {
    this.stopKeepAlive();
    // Forget the socket first: closing it fires its close handler at once, which must not count it as a drop.
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.setStatus(status);
  }

  private receive(text: string) {
    const frame = JSON.parse(text) as { type: string } & Record<string, any>;
    switch (frame.type) {
      case "message": {
        const message = frame as unknown as ChatMessage & { type?: string };
        delete message.type;
        if (message.client_id) this.pending.delete(message.client_id);
        if (message.channel === "backroom") this.lastBackroomSeq = Math.max(this.lastBackroomSeq, message.seq);
        else this.lastSeq = Math.max(this.lastSeq, message.seq);
        this.emit("message", message);
        break;
      }
      case "error":
        if (frame.client_id) this.pending.delete(frame.client_id);
        this.emit("error", frame as unknown as RoomEvents["error"]);
        break;
      case "reaction":
      case "message_deleted":
      case "presence":
      case "pinned":
      case "unpinned":
      case "gap":
        this.emit(frame.type, frame as any);
        break;
      case "kicked":
        // Final by itself: the 4403 close may never reach the client (see docs/API.md).
        this.emit("kicked", frame as any);
        this.stop("kicked");
        break;
    }
  }

  /** Queues a send (retried across drops until acknowledged); answers its client_id. */
  send(text: string, opts: { replyTo?: string | null; channel?: "main" | "backroom" } = {}): string {
    const clientId = newId();
    const frame = { message: text, client_id: clientId, reply_to_id: opts.replyTo ?? undefined, channel: opts.channel ?? undefined };
    this.pending.set(clientId, frame);
    if (this.ws && this.status === "open") this.ws.send(JSON.stringify(frame));
    return clientId;
  }

  /** Sends not yet acknowledged by the server. */
  get unacknowledged(): number {
    return this.pending.size;
  }

  /** Drops the socket as a dead network would (the connection then comes back by itself). */
  drop(): void {
    this.transport?.close(4000, "dropped by the client");
  }

  close(): void {
    this.stopKeepAlive();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "bye");
    this.setStatus("closed");
  }
}
