// `inspect-redis --compare --chat CODE`: the room's Redis window against Postgres,
// the durable record. Postgres's newest live messages back to the window's oldest
// seq should be exactly the window: what is in Postgres and not cached is missing,
// what is cached and not live in Postgres is extra (deleted there; or, while a
// flush is behind, not in Postgres yet), members whose score is not their seq (or
// whose seq came before) are out of order, and a cached copy that differs from
// Postgres's is changed. With the Worker's operator token, the window is also set
// beside the room's own log (what the room committed; Postgres lags it by the
// unflushed rows): over the seqs both hold, each must have the same messages.
// Reads only; `--clear` repairs.
import type { Redis } from "@upstash/redis";
import type { Db } from "../platform/db";
import { messagesKey } from "../platform/cache-keys";
import { historyPage } from "../features/messages/queries";
import type { RoomLogSummary } from "../features/operations/schemas";
import { pairs } from "./room-cache-report";

interface Ref {
  seq: number;
  id: string;
}

export interface CompareReport {
  chat: string;
  window: { key: string; count: number; seq_min: number | null; seq_max: number | null };
  postgres: { compared: number; seq_min: number | null; seq_max: number | null };
  missing: Ref[];
  extra: Ref[];
  out_of_order: (Ref & { score: number })[];
  changed: Ref[];
  /** The window beside the room's log, over the seqs both hold (null: no operator token to ask the room). */
  room_log: { rows: number; seq_min: number | null; seq_max: number | null; unflushed: number; missing: Ref[]; extra: Ref[] } | null;
  consistent: boolean;
}

interface Cached {
  id: string;
  seq: number;
  content: string | null;
  username: string;
  is_deleted?: boolean;
}

/** The window beside the room's log: log rows (live, not rejected) from the window's oldest seq on that it lacks, and members in the log's range it does not hold. */
function againstLog(members: { message: Cached }[], log: RoomLogSummary): NonNullable<CompareReport["room_log"]> {
  const live = log.rows.filter((r) => !r.deleted && r.state !== "rejected");
  const logMin = log.rows[0]?.seq ?? null;
  const logMax = log.rows.at(-1)?.seq ?? null;
  const windowMin = members.length > 0 ? Math.min(...members.map((m) => m.message.seq)) : -Infinity;
  const cached = new Set(members.map((m) => m.message.id));
  const logged = new Set(log.rows.map((r) => r.id));
  return {
    rows: log.rows.length,
    seq_min: logMin,
    seq_max: logMax,
    unflushed: log.unflushed,
    missing: live.filter((r) => r.seq >= windowMin && !cached.has(r.id)).map((r) => ({ seq: r.seq, id: r.id })),
    extra:
      logMin === null
        ? []
        : members.filter((m) => m.message.seq >= logMin && !logged.has(m.message.id)).map((m) => ({ seq: m.message.seq, id: m.message.id })),
  };
}

export async function compareWindow(
  redis: Redis,
  db: Db,
  room: { id: string; code: string },
  maxCount: number,
  log: RoomLogSummary | null,
): Promise<CompareReport> {
  const key = messagesKey(room.code);
  const members = pairs((await redis.zrange(key, 0, -1, { withScores: true })) as unknown[]).map(([raw, score]) => ({
    score,
    message: JSON.parse(raw) as Cached,
  }));
  const { messages } = await historyPage(db, room, { limit: maxCount, before: null, channel: "main" });
  const windowMin = members.length > 0 ? Math.min(...members.map((m) => m.message.seq)) : null;
  const expected = windowMin === null ? messages : messages.filter((m) => m.seq >= windowMin);

  const cachedById = new Map(members.map((m) => [m.message.id, m.message]));
  const liveById = new Map(messages.map((m) => [m.id, m]));
  const missing = expected.filter((m) => !cachedById.has(m.id)).map((m) => ({ seq: m.seq, id: m.id }));
  const extra = members.filter((m) => !liveById.has(m.message.id)).map((m) => ({ seq: m.message.seq, id: m.message.id }));
  const changed = members
    .filter((m) => {
      const live = liveById.get(m.message.id);
      return live !== undefined && (live.content !== m.message.content || live.username !== m.message.username || live.seq !== m.message.seq);
    })
    .map((m) => ({ seq: m.message.seq, id: m.message.id }));
  // Members are sorted by score: where every score is its seq, seqs rise, so a misplaced member
  // is one whose score is not its seq (or a second member with a seq already seen).
  const outOfOrder: CompareReport["out_of_order"] = [];
  const seen = new Set<number>();
  for (const m of members) {
    if (m.score !== m.message.seq || seen.has(m.message.seq)) outOfOrder.push({ seq: m.message.seq, id: m.message.id, score: m.score });
    seen.add(m.message.seq);
  }
  const roomLog = log && againstLog(members, log);
  return {
    chat: room.code,
    window: { key, count: members.length, seq_min: windowMin, seq_max: members.at(-1)?.message.seq ?? null },
    postgres: { compared: expected.length, seq_min: expected[0]?.seq ?? null, seq_max: expected.at(-1)?.seq ?? null },
    missing,
    extra,
    out_of_order: outOfOrder,
    changed,
    room_log: roomLog,
    consistent: missing.length + extra.length + outOfOrder.length + changed.length + (roomLog ? roomLog.missing.length + roomLog.extra.length : 0) === 0,
  };
}

export function printCompare(r: CompareReport): void {
  const range = (min: number | null, max: number | null) => (min === null ? "none" : `seq ${min}–${max}`);
  console.log(`Room ${r.chat}: Redis window against Postgres`);
  console.log(`  window     ${r.window.key}: ${r.window.count} cached, ${range(r.window.seq_min, r.window.seq_max)}`);
  console.log(`  postgres   ${r.postgres.compared} live messages in that reach, ${range(r.postgres.seq_min, r.postgres.seq_max)}`);
  const list = (refs: Ref[]) => refs.slice(0, 20).map((m) => m.seq).join(", ") + (refs.length > 20 ? ", …" : "");
  console.log(`  missing    ${r.missing.length}${r.missing.length ? ` (seq ${list(r.missing)}): in Postgres, not cached` : ""}`);
  console.log(`  extra      ${r.extra.length}${r.extra.length ? ` (seq ${list(r.extra)}): cached, not live in Postgres (deleted, or not flushed yet)` : ""}`);
  console.log(`  out order  ${r.out_of_order.length}${r.out_of_order.length ? ` (seq ${list(r.out_of_order)}): score is not the seq, or a seq twice` : ""}`);
  console.log(`  changed    ${r.changed.length}${r.changed.length ? ` (seq ${list(r.changed)}): the cached copy differs from Postgres` : ""}`);
  const l = r.room_log;
  if (!l) console.log("  room log   not compared: set CHATPOP_URL and OPERATOR_TOKEN (the Worker's operator token) to include it");
  else {
    console.log(`  room log   ${l.rows} rows, ${range(l.seq_min, l.seq_max)}, ${l.unflushed} not in Postgres yet`);
    console.log(`    missing  ${l.missing.length}${l.missing.length ? ` (seq ${list(l.missing)}): committed by the room, not cached` : ""}`);
    console.log(`    extra    ${l.extra.length}${l.extra.length ? ` (seq ${list(l.extra)}): cached, not in the room's log` : ""}`);
  }
  console.log(
    r.consistent
      ? "  consistent: the window is exactly Postgres's newest messages"
      : `  inconsistent: \`npm run inspect-redis -- --clear --chat ${r.chat}\` drops the room's keys and rebuilds them from Postgres`,
  );
}
