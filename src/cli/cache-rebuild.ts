// `npm run cache:rebuild -- --chat CODE`
// Rebuilds a room's Redis windows (main and back room: the newest
// MESSAGE_CACHE_MAX_COUNT live messages each, with the TTL) and its pinned
// set from Postgres, the source of truth, and reports what changed
// (rebuild.ts). Safe to run while the room is live: a send that lands
// meanwhile is in Postgres and arrives in Redis with its own write.
import { parseArgs } from "node:util";
import { CliError, requireRoomCode, runCli } from "./settings";
import { rebuild } from "./rebuild";

const USAGE = "usage: npm run cache:rebuild -- --chat CODE";

runCli(async () => {
  const { values } = parseArgs({ options: { chat: { type: "string" } }, strict: true });
  if (!values.chat) throw new CliError(`--chat CODE is required.\n${USAGE}`, 2);
  await rebuild(requireRoomCode(values.chat));
});
