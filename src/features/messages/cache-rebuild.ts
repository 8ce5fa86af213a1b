// Rebuilds a room's Redis state from Postgres, the source of truth: both
// message windows (newest MESSAGE_CACHE_MAX_COUNT live messages, with the TTL)
// and the pinned set. Used by
// `npm run cache:rebuild` and by the room itself once Redis answers again
// after an outage.
import type { Channel } from "../../protocol";
import type { Redis } from "@upstash/redis/cloudflare";
import type { Db } from "../../platform/db";
import { activePins, historyPage } from "./queries";
import { pinnedKey, windowKey } from "../../platform/cache-keys";
import { replaceWindow, type WindowSettings } from "./window";
import { cachePin } from "../payments/pin-cache";

export interface RebuildReport {
  windows: { channel: Channel; before: number; after: number; firstSeq: number | null; lastSeq: number | null }[];
  pins: number;
}

export async function rebuildRoomCache(
  db: Db,
  redis: Redis,
  room: { id: string; code: string },
  settings: WindowSettings,
  progress: (line: string) => void = () => {},
): Promise<RebuildReport> {
  const report: RebuildReport = { windows: [], pins: 0 };
  for (const channel of ["main", "backroom"] as const) {
    const { messages } = await historyPage(db, room, { limit: settings.maxCount, before: null, channel });
    const key = windowKey(room.code, channel);
    const before = await redis.zcard(key);
    progress(`Writing ${messages.length} messages to ${key}…`);
    // Window members never carry counts (see window.ts).
    await replaceWindow(redis, room.code, channel, messages.map((m) => ({ ...m, reactions: [] })), settings);
    report.windows.push({ channel, before, after: messages.length, firstSeq: messages[0]?.seq ?? null, lastSeq: messages.at(-1)?.seq ?? null });
  }

  const pins = await activePins(db, room);
  await redis.del(pinnedKey(room.code));
  for (const p of pins) await cachePin(redis, room.code, p.id, Date.parse(p.pinned_until!), settings.ttlSeconds);
  report.pins = pins.length;
  return report;
}
