// `npm run cache:rebuild -- --chat CODE`
// Rebuilds a room's Redis windows (main and back room: the newest
// MESSAGE_CACHE_MAX_COUNT live messages each, with the TTL), its reaction
// counts and its pinned set from Postgres, the source of
// truth, and reports what changed. Safe to run while the room is live: a send
// that lands meanwhile is in Postgres and arrives in Redis with its own write.
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../db/schema";
import type { Db } from "../db/client";
import { activePins, historyPage } from "../db/messages";
import type { PublicMessage } from "../domain/message";
import { cachePin } from "../cache/pins";
import { loadRoom } from "../db/rooms";
import { isRoomCode } from "../domain/room-code";
import { pinnedKey, reactionsPattern, windowKey } from "../cache/keys";
import { replaceWindow, windowSettings } from "../cache/message-window";
import { writeReactionCounts } from "../cache/reactions";
import { CliError, cliSettings, connectRedis, duration, runCli } from "./settings";

const USAGE = "usage: npm run cache:rebuild -- --chat CODE";

async function main() {
  const { values } = parseArgs({ options: { chat: { type: "string" } }, strict: true });
  if (!values.chat) throw new CliError(`--chat CODE is required.\n${USAGE}`, 2);
  if (!isRoomCode(values.chat)) {
    throw new CliError(`"${values.chat}" is not a room code (8 characters from 23456789abcdefghjkmnpqrstuvwxyz).`, 2);
  }
  const chat = values.chat;
  const settings = cliSettings();
  if (!settings.databaseUrl) throw new CliError("Set DATABASE_URL to the room's Postgres (the Neon connection string in production).", 2);
  const window = windowSettings(process.env);
  const redis = await connectRedis(settings);

  const pool = new pg.Pool({ connectionString: settings.databaseUrl, max: 2 });
  try {
    // The queries are written for the Worker's Neon driver; drizzle builds the same SQL over node-postgres.
    const db = drizzle({ client: pool, schema }) as unknown as Db;
    console.log(`Reading room ${chat} from Postgres…`);
    const room = await loadRoom(db, chat).catch((e: unknown) => {
      if (e instanceof Error && "code" in e && e.code === "ROOM_NOT_FOUND") throw new CliError(`No room with code ${chat} in Postgres.`);
      throw new CliError(`Cannot read Postgres: ${e instanceof Error ? e.message : String(e)}. Check DATABASE_URL.`);
    });
    const report: string[] = [];
    const withReactions: PublicMessage[] = [];
    for (const channel of ["main", "backroom"] as const) {
      const { messages } = await historyPage(db, room, { limit: window.maxCount, beforeSeq: null, channel });
      const key = windowKey(chat, channel);
      const before = await redis.zcard(key);
      console.log(`Writing ${messages.length} messages to ${key}…`);
      // Window members never carry counts: the reaction hashes do.
      await replaceWindow(redis, chat, channel, messages.map((m) => ({ ...m, reactions: [] })), window);
      withReactions.push(...messages.filter((m) => m.reactions.length > 0));
      const seqs = messages.map((m) => m.seq);
      const label = channel === "main" ? "window    " : "back room ";
      report.push(`  ${label} ${before} → ${messages.length} messages` + (seqs.length ? ` (seq ${seqs[0]}–${seqs.at(-1)})` : "") + `, TTL ${duration(window.ttlSeconds)}`);
    }

    for (const [i, m] of withReactions.entries()) {
      await writeReactionCounts(redis, chat, m.id, m.reactions, window.ttlSeconds);
      if ((i + 1) % 50 === 0) console.log(`  reaction counts: ${i + 1}/${withReactions.length}`);
    }
    // Hashes of messages no longer in a window (deleted, or older than it) go.
    const keep = new Set(withReactions.map((m) => m.id));
    const stale: string[] = [];
    let cursor: string | number = "0";
    do {
      const [next, batch] = (await redis.scan(cursor, { match: reactionsPattern(chat), count: 500 })) as [string | number, string[]];
      for (const k of batch) if (!keep.has(k.slice(k.lastIndexOf(":") + 1))) stale.push(k);
      cursor = next;
    } while (String(cursor) !== "0");
    if (stale.length > 0) await redis.del(...stale);

    const pins = await activePins(db, room);
    await redis.del(pinnedKey(chat));
    for (const p of pins) await cachePin(redis, chat, p.id, Date.parse(p.pinned_until!), window.ttlSeconds);

    console.log(`Rebuilt room ${chat}:`);
    for (const line of report) console.log(line);
    console.log(`  reactions  ${withReactions.length} hashes written, ${stale.length} stale removed`);
    console.log(`  pinned     ${pins.length} active ${pins.length === 1 ? "pin" : "pins"}`);
  } finally {
    await pool.end();
  }
}

runCli(main);
