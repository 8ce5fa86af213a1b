// Rebuilds a room's Redis state from Postgres, the source of truth: both
// message windows (newest MESSAGE_CACHE_MAX_COUNT live messages, with the TTL),
// the reaction hashes of the messages in them, and the pinned set. Used by
// `npm run cache:rebuild` and by the room itself once Redis answers again
// after an outage.
import type { Channel, PublicMessage } from "../../protocol";
import type { Redis } from "@upstash/redis/cloudflare";
import type { Db } from "../../platform/db";
import { activePins, historyPage } from "./queries";
import { pinnedKey, reactionsPattern, windowKey } from "../../platform/cache-keys";
import { replaceWindow, type WindowSettings } from "./window";
import { cachePin } from "../payments/pin-cache";
import { writeReactionCounts } from "./reaction-cache";

export interface RebuildReport {
  windows: { channel: Channel; before: number; after: number; firstSeq: number | null; lastSeq: number | null }[];
  reactionHashes: number;
  staleReactionHashes: number;
  pins: number;
}

export async function rebuildRoomCache(
  db: Db,
  redis: Redis,
  room: { id: string; code: string },
  settings: WindowSettings,
  progress: (line: string) => void = () => {},
): Promise<RebuildReport> {
  const report: RebuildReport = { windows: [], reactionHashes: 0, staleReactionHashes: 0, pins: 0 };
  const withReactions: PublicMessage[] = [];
  for (const channel of ["main", "backroom"] as const) {
    const { messages } = await historyPage(db, room, { limit: settings.maxCount, before: null, channel });
    const key = windowKey(room.code, channel);
    const before = await redis.zcard(key);
    progress(`Writing ${messages.length} messages to ${key}…`);
    // Window members never carry counts: the reaction hashes do.
    await replaceWindow(redis, room.code, channel, messages.map((m) => ({ ...m, reactions: [] })), settings);
    withReactions.push(...messages.filter((m) => m.reactions.length > 0));
    report.windows.push({ channel, before, after: messages.length, firstSeq: messages[0]?.seq ?? null, lastSeq: messages.at(-1)?.seq ?? null });
  }

  for (const [i, m] of withReactions.entries()) {
    await writeReactionCounts(redis, room.code, m.id, m.reactions, settings.ttlSeconds);
    if ((i + 1) % 50 === 0) progress(`  reaction counts: ${i + 1}/${withReactions.length}`);
  }
  report.reactionHashes = withReactions.length;
  // Hashes of messages no longer in a window (deleted, or older than it) go.
  const keep = new Set(withReactions.map((m) => m.id));
  const stale: string[] = [];
  let cursor: string | number = "0";
  do {
    const [next, batch] = (await redis.scan(cursor, { match: reactionsPattern(room.code), count: 500 })) as [string | number, string[]];
    for (const k of batch) if (!keep.has(k.slice(k.lastIndexOf(":") + 1))) stale.push(k);
    cursor = next;
  } while (String(cursor) !== "0");
  if (stale.length > 0) await redis.del(...stale);
  report.staleReactionHashes = stale.length;

  const pins = await activePins(db, room);
  await redis.del(pinnedKey(room.code));
  for (const p of pins) await cachePin(redis, room.code, p.id, Date.parse(p.pinned_until!), settings.ttlSeconds);
  report.pins = pins.length;
  return report;
}
