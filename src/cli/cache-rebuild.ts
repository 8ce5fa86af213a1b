// `npm run cache:rebuild -- --chat CODE`
// Rebuilds a room's Redis windows (main and back room: the newest
// MESSAGE_CACHE_MAX_COUNT live messages each, with the TTL) and its pinned
// set from Postgres, the source of
// truth, and reports what changed. Safe to run while the room is live: a send
// that lands meanwhile is in Postgres and arrives in Redis with its own write.
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../platform/schema";
import type { Db } from "../platform/db";
import { findRoom } from "../features/rooms/queries";
import { isRoomCode } from "../domain/room-code";
import { windowSettings } from "../features/messages/window";
import { settingsOf } from "../platform/settings";
import { rebuildRoomCache } from "../features/messages/cache-rebuild";
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
  const window = windowSettings(settingsOf(process.env));
  const redis = await connectRedis(settings);

  const pool = new pg.Pool({ connectionString: settings.databaseUrl, max: 2 });
  try {
    // The queries are written for the Worker's Neon driver; drizzle builds the same SQL over node-postgres.
    const db = drizzle({ client: pool, schema }) as unknown as Db;
    console.log(`Reading room ${chat} from Postgres…`);
    const room = await findRoom(db, chat).catch((e: unknown) => {
      throw new CliError(`Cannot read Postgres: ${e instanceof Error ? e.message : String(e)}. Check DATABASE_URL.`);
    });
    if (!room) throw new CliError(`No room with code ${chat} in Postgres.`);
    const report = await rebuildRoomCache(db, redis, room, window, (line) => console.log(line));
    console.log(`Rebuilt room ${chat}:`);
    for (const w of report.windows) {
      const label = w.channel === "main" ? "window    " : "back room ";
      const range = w.firstSeq === null ? "" : ` (seq ${w.firstSeq}–${w.lastSeq})`;
      console.log(`  ${label} ${w.before} → ${w.after} messages${range}, TTL ${duration(window.ttlSeconds)}`);
    }
    console.log(`  pinned     ${report.pins} active ${report.pins === 1 ? "pin" : "pins"}`);
  } finally {
    await pool.end();
  }
}

runCli(main);
