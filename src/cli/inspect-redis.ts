// `npm run inspect-redis -- …`: what Redis holds, for operators. One mode per run:
//   --chat CODE [--show-messages] [--limit N]   one room (room-cache-report.ts)
//   --list [--limit N]                          every room with keys: window size, back room, pins, TTL, memory
//   --stats                                     totals and memory (cache-overview.ts)
//   --compare --chat CODE                       the window against Postgres and the room's log (window-compare.ts); exit 1 when they differ
//   --clear --chat CODE [--yes]                 drop the room's keys and rebuild them from Postgres
//   --monitor --chat CODE [--seconds N]         appends to the window as they happen (window-monitor.ts)
// --json prints any of them as JSON. Only --clear writes.
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import type { Redis } from "@upstash/redis";
import { backroomMessagesKey, messagesKey, pinnedKey } from "../platform/cache-keys";
import { windowSettings } from "../features/messages/window";
import { settingsOf } from "../platform/settings";
import { CliError, bytes, cliSettings, connectRedis, duration, requireRoomCode, runCli, type CliSettings } from "./settings";
import { printJson, printTable } from "./output";
import { inspectRoom, printReport } from "./room-cache-report";
import { cacheStats, listRooms } from "./cache-overview";
import { compareWindow, printCompare } from "./window-compare";
import { monitorWindow } from "./window-monitor";
import { requireRoomRow, withPostgres } from "./postgres";
import { rebuild } from "./rebuild";
import type { RoomLogSummary } from "../features/operations/schemas";

const USAGE = `usage: npm run inspect-redis -- --chat CODE [--show-messages] [--limit N] [--json]
       npm run inspect-redis -- --list [--limit N] [--json]
       npm run inspect-redis -- --stats [--json]
       npm run inspect-redis -- --compare --chat CODE [--json]
       npm run inspect-redis -- --clear --chat CODE [--yes]
       npm run inspect-redis -- --monitor --chat CODE [--seconds N] [--json]`;

const MODES = ["list", "stats", "compare", "clear", "monitor"] as const;
type Mode = (typeof MODES)[number] | "room";

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new CliError(`--${flag} must be a whole number from ${min} to ${max}.`, 2);
  return n;
}

async function room(redis: Redis, settings: CliSettings, chat: string, show: boolean, limit: number, json: boolean) {
  const report = await inspectRoom(redis, settings.redisUrl, chat, { show, limit });
  if (report.messages.count === 0 && report.pinned.entries.length === 0 && report.backroom.count === 0) {
    throw new CliError(
      `Room ${chat} has nothing cached in Redis (no ${report.messages.key}). ` +
        `If the room exists, \`npm run cache:rebuild -- --chat ${chat}\` rebuilds its window from Postgres.`,
    );
  }
  if (json) printJson(report);
  else printReport(report);
}

async function list(redis: Redis, settings: CliSettings, limit: number, json: boolean) {
  const rooms = await listRooms(redis);
  if (json) return printJson({ redis: settings.redisUrl, rooms: rooms.slice(0, limit), total: rooms.length });
  console.log(`Rooms with keys in Redis at ${settings.redisUrl}: ${rooms.length}${rooms.length > limit ? ` (the ${limit} biggest)` : ""}`);
  if (rooms.length === 0) return;
  printTable(
    ["room", "messages", "back room", "pins", "TTL", "memory"],
    rooms.slice(0, limit).map((r) => [r.chat, String(r.messages), String(r.backroom), String(r.pinned), r.ttl_seconds === null ? "-" : duration(r.ttl_seconds), `~${bytes(r.approx_bytes)}`]),
  );
}

async function stats(redis: Redis, settings: CliSettings, json: boolean) {
  const s = await cacheStats(redis, settings.redisUrl);
  if (json) return printJson(s);
  console.log(`Redis at ${s.redis}`);
  console.log(`  keys              ${s.keys}`);
  console.log(`  rooms (windows)   ${s.rooms_with_window}, ${s.messages_cached} messages cached`);
  console.log(`  back rooms        ${s.backroom_windows}, ${s.backroom_messages} messages cached`);
  console.log(`  pinned sets       ${s.pinned_sets}`);
  console.log(`  rate-limit keys   ${s.rate_limit_keys}`);
  console.log(`  windows, no TTL   ${s.windows_without_ttl}${s.windows_without_ttl > 0 ? " (they never expire: --clear rebuilds them with the TTL)" : ""}`);
  console.log(`  memory            ${s.memory.used_bytes === null ? "not reported by this server" : bytes(s.memory.used_bytes)} in all; windows ~${bytes(s.memory.windows_approx_bytes)}`);
}

/** The room's own log, from the Worker's operators' route (null: no operator token configured). */
async function roomLog(settings: CliSettings, chat: string): Promise<RoomLogSummary | null> {
  if (!settings.worker) return null;
  const url = `${settings.worker.url.replace(/\/$/, "")}/api/ops/rooms/${chat}/log/`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${settings.worker.token}` } }).catch((e: Error) => {
    throw new CliError(`Cannot reach the Worker at ${settings.worker!.url} (${e.message}). Check CHATPOP_URL.`);
  });
  if (!res.ok) {
    const code = ((await res.json().catch(() => null)) as { code?: string } | null)?.code;
    if (code === "ROOM_NOT_FOUND") throw new CliError(`No room with code ${chat}.`);
    throw new CliError(`The Worker refused the room's log (${res.status} ${code ?? ""}): check OPERATOR_TOKEN and CHATPOP_URL.`);
  }
  return (await res.json()) as RoomLogSummary;
}

async function compare(redis: Redis, settings: CliSettings, chat: string, json: boolean) {
  const { maxCount } = windowSettings(settingsOf(process.env));
  const log = await roomLog(settings, chat);
  const report = await withPostgres(settings, async (db) => compareWindow(redis, db, await requireRoomRow(db, chat), maxCount, log));
  if (json) printJson(report);
  else printCompare(report);
  if (!report.consistent) process.exitCode = 1;
}

async function clear(redis: Redis, chat: string, yes: boolean) {
  if (!yes) {
    if (!process.stdin.isTTY) throw new CliError(`--clear drops room ${chat}'s Redis keys: add --yes to run it without a terminal.`, 2);
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Drop room ${chat}'s Redis keys and rebuild them from Postgres? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("Nothing was changed.", 1);
  }
  const keys = [messagesKey(chat), backroomMessagesKey(chat), pinnedKey(chat)];
  const dropped = await redis.del(...keys);
  console.log(`Dropped ${dropped} of ${keys.join(", ")}.`);
  await rebuild(chat);
}

async function main() {
  const { values } = parseArgs({
    options: {
      chat: { type: "string" },
      "show-messages": { type: "boolean", default: false },
      limit: { type: "string" },
      json: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      stats: { type: "boolean", default: false },
      compare: { type: "boolean", default: false },
      clear: { type: "boolean", default: false },
      monitor: { type: "boolean", default: false },
      yes: { type: "boolean", default: false },
      seconds: { type: "string" },
    },
    strict: true,
  });
  const chosen = MODES.filter((m) => values[m]);
  if (chosen.length > 1) throw new CliError(`Choose one of --${chosen.join(", --")}.\n${USAGE}`, 2);
  const mode: Mode = chosen[0] ?? "room";
  const needsChat = mode === "room" || mode === "compare" || mode === "clear" || mode === "monitor";
  if (needsChat && !values.chat) throw new CliError(`--chat CODE is required${mode === "room" ? "" : ` with --${mode}`}.\n${USAGE}`, 2);
  if (!needsChat && values.chat) throw new CliError(`--${mode} covers every room: leave out --chat.\n${USAGE}`, 2);
  const chat = values.chat === undefined ? "" : requireRoomCode(values.chat);
  const limit = wholeNumber("limit", values.limit ?? (mode === "list" ? "50" : "20"), 1, mode === "list" ? 100_000 : 500);
  const seconds = values.seconds === undefined ? null : wholeNumber("seconds", values.seconds, 1, 86_400);

  const settings = cliSettings();
  const redis = await connectRedis(settings);
  switch (mode) {
    case "room":
      return room(redis, settings, chat, values["show-messages"]!, limit, values.json!);
    case "list":
      return list(redis, settings, limit, values.json!);
    case "stats":
      return stats(redis, settings, values.json!);
    case "compare":
      return compare(redis, settings, chat, values.json!);
    case "clear":
      return clear(redis, chat, values.yes!);
    case "monitor": {
      const until = new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        if (seconds !== null) setTimeout(resolve, seconds * 1000).unref();
      });
      const printed = await monitorWindow(redis, chat, until, values.json!);
      console.error(`Stopped after ${printed} ${printed === 1 ? "append" : "appends"}.`);
      return;
    }
  }
}

runCli(async () => {
  try {
    await main();
  } catch (e) {
    // parseArgs' own errors (unknown flag, missing value) are usage errors.
    if (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) throw new CliError(`${e.message}\n${USAGE}`, 2);
    throw e;
  }
});
