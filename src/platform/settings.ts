// Every tunable setting of the Worker and its Durable Objects, in one place:
// its wrangler var, its default and what it means. The vars arrive as strings;
// `settingsOf(env)` reads them once per isolate (a value that is unset, not a
// number or not positive falls back to the default) and the result is handed
// to whatever needs it. docs/CONFIG.md's settings table is generated from this
// list (`npm run docs:config`), and a test keeps the two equal.
import { z } from "zod";
import { WRITE_BATCH_MAX } from "../domain/limits";
import type { LimitSettings } from "../domain/send-limit";

interface NumberSetting {
  default: number;
  /** Whole numbers only (a fraction is rounded down). */
  integer?: boolean;
  /** "0" is a real value (it turns something off or on from the start), not a fallback. */
  zeroAllowed?: boolean;
  /** How the default reads in the docs, when the bare number says less (e.g. "512 KiB"). */
  shown?: string;
  about: string;
}

const n = (value: number, about: string, more: Omit<NumberSetting, "default" | "about"> = {}): NumberSetting => ({ default: value, about, ...more });
const count = (value: number, about: string, more: Omit<NumberSetting, "default" | "about" | "integer"> = {}) => n(value, about, { integer: true, ...more });

/** The numeric settings, by wrangler var. */
export const NUMBER_SETTINGS = {
  MESSAGE_CACHE_MAX_COUNT: count(500, "messages kept per room in the Redis window"),
  MESSAGE_CACHE_MAX_BYTES: count(512 * 1024, "about how many bytes of messages the Redis window keeps per room", { shown: "512 KiB" }),
  MESSAGE_CACHE_TTL_HOURS: n(24, "the Redis window's lifetime after the room's last write, in hours"),
  SEND_BURST: n(20, "sends per participant in a burst, shared by its sockets and REST sends; past the limit `RATE_LIMITED` (REST: 429 + `Retry-After`), sustained flooding closes the socket 1008"),
  SEND_PER_SECOND: n(5, "sends per participant per second after the burst"),
  REACTION_BURST: n(10, "reactions per participant in a burst (then 429 + `Retry-After`)"),
  REACTION_PER_SECOND: n(2, "reactions per participant per second after the burst"),
  FRAME_BURST: n(60, "frames of any kind per participant across its sockets in a burst: over it frames are dropped, ten past it close the socket 1008 and the participant may not connect for a minute"),
  FRAME_PER_SECOND: n(20, "frames per participant per second after the burst"),
  MAX_SOCKETS_PER_ROOM: count(5000, "open sockets per room, its relays' included; beyond it the socket closes 1008"),
  MAX_SOCKETS_PER_IP: count(50, "open sockets per client address in a room (an IPv6 /48 gets 16×)"),
  MAX_SOCKETS_PER_PARTICIPANT: count(5, "open sockets per participant"),
  CONNECTS_PER_MINUTE: n(30, "socket connects a minute per participant, counted by the room for every upgrade; past it the socket closes 1008 before any backlog is read"),
  CONNECTS_PER_MINUTE_PER_IP: n(120, "socket connects a minute per address (an IPv6 /48 gets 16×)"),
  RELAY_AFTER_SOCKETS: count(1000, "sockets a room holds itself before new ones go to relays (`0`: relays from the first socket); see docs/ARCHITECTURE.md, Big rooms", { zeroAllowed: true }),
  RELAY_COUNT: count(4, "relay objects a big room spreads its later sockets over (`0` turns relays off; at most 64)", { zeroAllowed: true }),
  RESUME_MAX_BYTES: count(256 * 1024, "bytes of missed messages one resume sends at most (older ones are left to a `gap` frame)", { shown: "256 KiB" }),
  SOCKET_IDLE_SECONDS: n(300, "a socket that sent no frame and no keep-alive for this long gives up its seat (closed 4408) when a new socket needs it at a cap (the room's, the address', the participant's), longest silent first; while seats are free it stays open"),
  LOG_RETAIN_ROWS: count(2000, "messages a room keeps in its own storage once Postgres has them (resumes and reply lookups read them there; older ones come from Redis or Postgres); `client_id` retry keys are kept for 5× as many sends, and 24 h at most"),
  MAX_UNFLUSHED_MESSAGES: count(10_000, "messages a room holds that Postgres does not have yet; past it sends are refused `DB_UNAVAILABLE` until Postgres is back"),
  WRITE_BATCH_MAX: count(WRITE_BATCH_MAX, "queued sends one batch (one commit, one broadcast) may carry"),
  ROOMS_PER_ACCOUNT: count(100, "rooms one account may host"),
  ANON_JOINS_PER_ROOM_PER_MINUTE: count(60, "new anonymous names a room takes per minute, from everyone together"),
  RETENTION_DAYS: count(30, "days a participation's address is kept after its last visit, and an ended ban (revoked or expired) with what it captured; the daily retention job clears them"),
  PIN_SECONDS_PER_MINUTE: n(60, "seconds in a pin minute: leave it unset; tests shorten pin time with it"),
} satisfies Record<string, NumberSetting>;

export type NumberSettingName = keyof typeof NUMBER_SETTINGS;

/** When a send is committed: in the room's storage (`room`, the default) or in Postgres too before the broadcast (`postgres`). */
export const COMMIT_MODES = ["room", "postgres"] as const;
export type CommitMode = (typeof COMMIT_MODES)[number];

function numberSchema(setting: NumberSetting) {
  return z
    .string()
    .optional()
    .transform((text) => {
      const value = Number(text);
      const usable = text !== undefined && text !== "" && Number.isFinite(value) && (value > 0 || (setting.zeroAllowed === true && value === 0));
      if (!usable) return setting.default;
      return setting.integer ? Math.floor(value) : value;
    });
}

const schema = z.object({
  ...(Object.fromEntries(Object.entries(NUMBER_SETTINGS).map(([name, s]) => [name, numberSchema(s)])) as {
    [K in NumberSettingName]: ReturnType<typeof numberSchema>;
  }),
  SEND_COMMIT: z.enum(COMMIT_MODES).catch("room").default("room"),
});

/** The settings as the code uses them: numbers with their defaults applied. */
export type Settings = z.output<typeof schema>;

const parsed = new WeakMap<object, Settings>();

/** The env's settings, parsed once per isolate (the env object lives as long as the isolate). */
export function settingsOf(env: Partial<Record<NumberSettingName | "SEND_COMMIT", string>>): Settings {
  let settings = parsed.get(env);
  if (!settings) {
    settings = schema.parse(env);
    parsed.set(env, settings);
  }
  return settings;
}

/** The send, reaction and frame allowances of a participant (domain/send-limit.ts). */
export function limitsOf(s: Settings): { send: LimitSettings; reaction: LimitSettings; frame: LimitSettings } {
  return {
    send: { burst: s.SEND_BURST, perSecond: s.SEND_PER_SECOND },
    reaction: { burst: s.REACTION_BURST, perSecond: s.REACTION_PER_SECOND },
    // No client of ours comes near the frame budget, and each frame a flooder gets in costs the
    // object's one thread: ten frames past it close the socket.
    frame: { burst: s.FRAME_BURST, perSecond: s.FRAME_PER_SECOND, abuseAfter: 10 },
  };
}
