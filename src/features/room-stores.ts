// What a room's code reaches the stores through: the room itself, Postgres,
// Redis and the window's shape, and whether Redis can be trusted right now.
// One record, built once per wake by the room and handed to every part of it.
import type { Redis } from "@upstash/redis/cloudflare";
import type { RoomRef } from "../domain/room-code";
import type { CacheHealth } from "../platform/cache-health";
import type { RoomDb } from "../platform/room-db";
import type { WindowSettings } from "./messages/window";

export interface RoomStores {
  room: RoomRef;
  db: RoomDb;
  redis: Redis;
  window: WindowSettings;
  /** Shared by the room's pipelines and actions: skips Redis while it is failing, rebuilds it after. */
  cacheHealth: CacheHealth;
}
