// A room's Redis state rebuilt from Postgres, with what changed printed: `npm run
// cache:rebuild` and `npm run inspect-redis -- --clear`.
import { windowSettings } from "../features/messages/window";
import { settingsOf } from "../platform/settings";
import { rebuildRoomCache } from "../features/messages/cache-rebuild";
import { cliSettings, connectRedis, duration } from "./settings";
import { requireRoomRow, withPostgres } from "./postgres";

/** Rebuilds the room's Redis state from Postgres, printing what changed (also `inspect-redis --clear`). */
export async function rebuild(chat: string): Promise<void> {
  const settings = cliSettings();
  const window = windowSettings(settingsOf(process.env));
  const redis = await connectRedis(settings);
  await withPostgres(settings, async (db) => {
    console.log(`Reading room ${chat} from Postgres…`);
    const room = await requireRoomRow(db, chat);
    const report = await rebuildRoomCache(db, redis, room, window, (line) => console.log(line));
    console.log(`Rebuilt room ${chat}:`);
    for (const w of report.windows) {
      const label = w.channel === "main" ? "window    " : "back room ";
      const range = w.firstSeq === null ? "" : ` (seq ${w.firstSeq}–${w.lastSeq})`;
      console.log(`  ${label} ${w.before} → ${w.after} messages${range}, TTL ${duration(window.ttlSeconds)}`);
    }
    console.log(`  pinned     ${report.pins} active ${report.pins === 1 ? "pin" : "pins"}`);
  });
}
