import type { ChatRoom } from "./room/chat-room";

/** The Worker's bindings: wrangler.toml [vars], secrets, and the ChatRoom namespace. */
export interface Env {
  CHAT_ROOM: DurableObjectNamespace<ChatRoom>;
  /** The web app's static files ([assets]): served for every path that is not the API or a socket. */
  ASSETS?: Fetcher;
  DATABASE_URL: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  JWT_SECRET: string;
  MESSAGE_CACHE_MAX_COUNT?: string;
  MESSAGE_CACHE_TTL_HOURS?: string;
  /** Per-IP limits, "<requests>/<window>" such as "30/1 m"; defaults in domain/rate-limits.ts. */
  RATE_LIMIT_REGISTER?: string;
  RATE_LIMIT_LOGIN?: string;
  RATE_LIMIT_JOIN?: string;
  /** Stripe: the secret key (payments) and the webhook signing secret (POST /api/payments/webhook/). */
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  /** Another Stripe API base URL (a local stand-in); never set in production. */
  STRIPE_API_BASE?: string;
  /** "true" lets the test payment provider run when there is no Stripe key (npm run dev, the tests). */
  ALLOW_TEST_PAYMENTS?: string;
  /** Per-socket send limits: a burst, then a steady rate (domain/send-limit.ts). */
  SEND_BURST?: string;
  SEND_PER_SECOND?: string;
  /** Caps on open sockets: per room, and per client IP in a room. */
  MAX_SOCKETS_PER_ROOM?: string;
  MAX_SOCKETS_PER_IP?: string;
  /** Comma-separated origins allowed to open WebSockets and call the API from a browser; "*" allows any. */
  ALLOWED_ORIGINS?: string;
  /** Most sends written in one INSERT (200); the benchmark sets 1 to measure what batching buys. */
  WRITE_BATCH_MAX?: string;
  /** Seconds in a pin minute: 60 unless shortened for tests and demos. */
  PIN_SECONDS_PER_MINUTE?: string;
  /**
   * Local-only: host:port/v2 of the dev Neon WebSocket proxy. Set by the dev
   * launcher and the tests, never in wrangler.toml, so a deploy always talks
   * to Neon directly over TLS.
   */
  NEON_WS_PROXY?: string;
}
