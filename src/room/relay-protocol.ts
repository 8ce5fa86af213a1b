// What a room and its relays say to each other. A room past RELAY_AFTER_SOCKETS
// sends new sockets to relay objects named `{code}:{n}`; it stays the single
// writer and hands every stored batch, once, to each relay that may hold
// sockets, which broadcasts it to its own. Relays forward sends to the room.
import type { Channel, PublicMessage } from "../protocol";
import type { Refusal } from "../platform/rpc-result";
import { isRoomCode } from "../domain/room-code";
import type { Settings } from "../platform/settings";
import { ApiError } from "../platform/errors";

/** The room's answer to an upgrade it sends to a relay: the relay's name. */
export const RELAY_HEADER = "X-ChatPop-Relay";
/** The room's presence count at placement, for the relay's first frame to the new socket. */
export const PRESENCE_HEADER = "X-ChatPop-Presence";

/** Relays one room may use at most: names are checked against it. */
export const MAX_RELAYS = 64;

export interface RelaySettings {
  /** The room's own sockets before new ones go to relays. */
  after: number;
  /** Relays a room spreads its later sockets over (0: no relays). */
  count: number;
}

export function relaySettings(s: Settings): RelaySettings {
  return { after: s.RELAY_AFTER_SOCKETS, count: Math.min(MAX_RELAYS, s.RELAY_COUNT) };
}

export const relayName = (code: string, index: number) => `${code}:${index}`;

/** The room and index a relay name stands for, or null when it names no relay of a room. */
export function parseRelayName(name: string | undefined): { code: string; index: number } | null {
  const m = /^([a-z0-9]{8}):(0|[1-9]\d{0,2})$/.exec(name ?? "");
  if (!m || !isRoomCode(m[1]!)) return null;
  const index = Number(m[2]);
  return index < MAX_RELAYS ? { code: m[1]!, index } : null;
}

/**
 * The relay for a socket: a stable hash of its address block, so all of one address's sockets
 * share a relay and the per-address caps hold there as they do in the room.
 */
export function relayIndexFor(key: string, count: number): number {
  // FNV-1a: cheap and well spread for short keys.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

/** A stored message for a relay's sockets; `ack` marks the sender's socket, which gets it with its client_id. */
export interface RelayMessage {
  message: PublicMessage;
  ack?: { socket: string; clientId: string };
  /** A retried send: only its sender's socket gets it (the acknowledgement). */
  onlyAck?: boolean;
}

export type RelayItem =
  | { kind: "messages"; channel: Channel; messages: RelayMessage[] }
  | { kind: "frame"; channel: Channel | "all"; frame: string };

export interface RelayBatch {
  /** The room that sends it: a relay takes batches from its own room only. */
  room: string;
  /** Back-room members (participation ids) when the batch has back-room items; the host is let through by its claims. */
  backroom?: string[];
  items: RelayItem[];
}

/** What a relay reports to its room (at most once a second, when it changes). */
export interface RelayReport {
  participants: number;
  sockets: number;
  /**
   * Upgrades the room placed there that reached the relay so far (accepted or refused): the room
   * counts the ones placed but not yet arrived as held, so its cap holds under a burst of connects.
   */
  arrived: number;
}

/** How a room and its relays refuse a call from an object that is not theirs: one shape on both sides. */
export const relayRefused = (why: string) => new ApiError(403, "NOT_ALLOWED", why);

/** What the room answers a send forwarded by a relay. */
export type RelaySendOutcome =
  | { outcome: "queued" }
  | { outcome: "refused"; error: Refusal }
  /** The sender is banned: kick the socket. */
  | { outcome: "kick" }
  /** The sender keeps sending past its allowance: close the socket. */
  | { outcome: "close" };

/** A resume's backlog, read by the room for a relay's socket. */
export interface BacklogAnswer {
  gap: { from_seq: number; to_seq: number } | null;
  messages: PublicMessage[];
  /** A relay's page: more of the backlog follows, up to this seq (ask again after the last message). */
  until?: number | null;
}
