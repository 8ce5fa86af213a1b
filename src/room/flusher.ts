// Copies the room's committed messages to Postgres, in log order, one
// multi-row INSERT … ON CONFLICT (id) DO NOTHING per round, so a round
// repeated after a lost answer stores nothing twice. One round runs at a
// time; callers that need "everything committed so far is in Postgres"
// (strict mode, actions on messages, the alarm) await flushAll().
//
// When Postgres is unreachable the round throws and the rows stay pending
// (the room retries with backoff from its alarm). When Postgres refuses the
// batch for another reason (a constraint), the rows are tried one by one and
// the ones it refuses alone are marked rejected and reported, so one poison
// row never holds back the rows behind it.
import { insertMessages } from "../features/messages/queries";
import { isDbUnavailable } from "../platform/db";
import { errorText, logEvent } from "../platform/log";
import type { RoomDb } from "../platform/room-db";
import type { MessageLog, PendingRow } from "./message-log";

/** Rows per INSERT: a backlog after an outage goes out in rounds of this many. */
export const FLUSH_ROWS_MAX = 500;
/** Flushed rows between two prunes of the room's log: pruning is a write of its own, rarely needed. */
const PRUNE_EVERY_ROWS = 200;

export class Flusher {
  private round: Promise<void> | null = null;
  private flushedSincePrune = 0;

  constructor(
    private readonly deps: {
      roomCode: string;
      log: MessageLog;
      db: RoomDb;
    },
  ) {}

  /** Resolves once every row committed before the call is in Postgres (or rejected); throws while Postgres is unreachable. */
  async flushAll(): Promise<void> {
    const target = this.deps.log.newestPos();
    for (;;) {
      const oldest = this.deps.log.oldestPendingPos();
      if (oldest === null || oldest > target) return;
      this.round ??= this.flushRound().finally(() => (this.round = null));
      await this.round;
    }
  }

  private async flushRound(): Promise<void> {
    const rows = this.deps.log.pending(FLUSH_ROWS_MAX);
    if (rows.length === 0) return;
    try {
      await this.insert(rows);
    } catch (e) {
      if (isDbUnavailable(e)) throw e;
      await this.isolate(rows);
    }
  }

  private async insert(rows: PendingRow[]) {
    const started = Date.now();
    await this.deps.db.run((conn) => insertMessages(conn, rows.map((r) => r.row)));
    this.deps.log.markFlushed(rows);
    this.flushedSincePrune += rows.length;
    if (this.flushedSincePrune >= PRUNE_EVERY_ROWS) {
      this.flushedSincePrune = 0;
      this.deps.log.prune(Date.now());
    }
    logEvent("messages_flushed", { room: this.deps.roomCode, count: rows.length, last_seq: rows.at(-1)!.seq, ms: Date.now() - started });
  }

  /** Row by row, so only the rows Postgres refuses on their own are set aside. */
  private async isolate(rows: PendingRow[]) {
    for (const row of rows) {
      try {
        await this.insert([row]);
      } catch (e) {
        if (isDbUnavailable(e)) throw e;
        this.deps.log.markRejected(row);
        logEvent("message_flush_rejected", { room: this.deps.roomCode, channel: row.channel, seq: row.seq, error: errorText(e) });
      }
    }
  }
}
