// Copies the room's committed messages to Postgres, in log order, one
// multi-row INSERT … ON CONFLICT (id) DO NOTHING per round, so a round
// repeated after a lost answer stores nothing twice. One round runs at a
// time; callers that need "everything committed so far is in Postgres"
// (strict mode, actions on messages) await flushAll().
//
// It also decides when to flush: right after each commit (onCommit), and from
// the room's alarm (onAlarm) — the safety wake of a room evicted before its
// flush ran, and the retries, with doubling delays, while Postgres is away.
// When Postgres refuses a batch for another reason (a constraint), the rows
// are tried one by one and the ones it refuses alone are marked rejected and
// reported, so one poison row never holds back the rows behind it.
import { insertMessages } from "../features/messages/queries";
import { isDbUnavailable } from "../platform/db";
import { EventTally, errorText, logEvent } from "../platform/log";
import type { RoomDb } from "../platform/room-db";
import type { MessageLog, UnflushedRow } from "./message-log";
import type { Metrics } from "../platform/metrics";
import { inSpan } from "../platform/spans";

/**
 * Rows per INSERT, and about how many bytes of them: a backlog (after an outage, or behind a
 * room whose thread is saturated, where each request waits its turn) goes out in rounds of at
 * most this much. Big enough that a round carries what a busy room commits while one round is
 * on its way; small enough for one request (Postgres takes 65,535 parameters, 17 a row).
 */
export const FLUSH_ROWS_MAX = 2000;
export const FLUSH_BYTES_MAX = 1024 * 1024;
/** A room that committed messages wakes by this time at the latest to flush them (in case it is evicted first). */
const FLUSH_SAFETY_MS = 5_000;
/**
 * Under load, a flush round (and a Redis append, send-pipeline.ts) starts at most this often:
 * each then carries everything committed meanwhile, so a busy room pays for one INSERT and one
 * Redis call per interval, not one per batch. (Strict mode and actions wait on flushAll, which
 * never waits for it.)
 */
export const DEFERRED_WRITE_GAP_MS = 25;
/** Retry delays while Postgres is away: doubling from the first to the last. */
export const FLUSH_RETRY_MS = { first: 500, last: 30_000 };

export interface FlusherDeps {
  roomCode: string;
  log: MessageLog;
  db: RoomDb;
  now(): number;
  /** Asks the room's alarm to wake no later than this (alarm.ts). */
  wakeBy(ms: number): void;
  /** Everything is flushed (no retry pending) after a safety wake was set: the room sets its alarm for its other jobs only (or none). */
  quiet(): void;
  metrics: Metrics;
}

export class Flusher {
  private round: Promise<void> | null = null;
  /** The running flush (all rounds), shared by whoever asks meanwhile. */
  private flushing: Promise<number | null> | null = null;
  /** A commit arrived while a flush was running: run another round after it. */
  private flushAgain = false;
  /** Failed flushes in a row: the retry delay doubles with each. */
  private failures = 0;
  /** While Postgres is away, commits do not each try to flush: the alarm retries at this time. */
  private retryAt = 0;
  /** The safety wake is set until the next alarm: one storage write per wake, not per commit. */
  private safetyArmed = false;

  /** One log line per interval for the flushes, not one per flush (which at low rates is per message). */
  private readonly flushed: EventTally;

  constructor(private readonly deps: FlusherDeps) {
    this.flushed = new EventTally("messages_flushed", deps.roomCode, deps.now);
  }

  /** A batch was committed to the log: flush it now, and make sure a room evicted first still wakes to flush it. */
  onCommit(): void {
    this.flushSoon();
    if (!this.safetyArmed) {
      this.safetyArmed = true;
      this.deps.wakeBy(this.deps.now() + FLUSH_SAFETY_MS);
    }
  }

  /** The room woke (a restart): what it committed before goes to Postgres now; a log past its bound is pruned. */
  onWake(): void {
    this.pruneIfOver();
    if (this.deps.log.oldestUnflushedPos() !== null) this.flushSoon();
  }

  /** The alarm rang: flush what is pending; answers when to wake again (null: nothing left). */
  onAlarm(): Promise<number | null> {
    this.safetyArmed = false;
    return this.flushNow();
  }

  /** Resolves once every row committed before the call is in Postgres (or rejected); throws while Postgres is unreachable. */
  async flushAll(): Promise<void> {
    const target = this.deps.log.newestPos();
    for (;;) {
      const oldest = this.deps.log.oldestUnflushedPos();
      if (oldest === null || oldest > target) return;
      const joined = this.round !== null;
      this.round ??= this.flushRound().finally(() => (this.round = null));
      try {
        await this.round;
      } catch (e) {
        // A round that began before this call (say, while Postgres was still away) does not
        // answer for it: only a round of its own that fails does.
        if (!joined) throw e;
      }
    }
  }

  /**
   * Starts a flush without waiting for it; a failed one is retried from the alarm. Once all is
   * flushed the safety wake is taken back, so a quiet room's alarm does not ring for nothing.
   */
  private flushSoon() {
    if (this.deps.now() < this.retryAt) return;
    void this.flushNow().then((retry) => {
      if (retry !== null) this.deps.wakeBy(retry);
      else if (this.safetyArmed && this.deps.log.oldestUnflushedPos() === null) {
        this.safetyArmed = false;
        this.deps.quiet();
      }
    });
  }

  /** Flushes everything committed so far; rows committed during it get another round at once. */
  private flushNow(): Promise<number | null> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      let retry: number | null;
      do {
        const started = this.deps.now();
        this.flushAgain = false;
        retry = await this.attempt();
        if (retry === null && this.flushAgain) await pause(started + DEFERRED_WRITE_GAP_MS - this.deps.now());
      } while (retry === null && this.flushAgain);
      return retry;
    })().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async attempt(): Promise<number | null> {
    try {
      await this.flushAll();
      this.failures = 0;
      this.retryAt = 0;
      return null;
    } catch (e) {
      this.failures++;
      const delay = Math.min(FLUSH_RETRY_MS.last, FLUSH_RETRY_MS.first * 2 ** (this.failures - 1));
      logEvent("flush_failed", { room: this.deps.roomCode, unflushed: this.deps.log.unflushedCount(), retry_ms: delay, error: errorText(e) });
      this.retryAt = this.deps.now() + delay;
      return this.retryAt;
    }
  }

  private async flushRound(): Promise<void> {
    const rows = this.deps.log.oldestUnflushed(FLUSH_ROWS_MAX, FLUSH_BYTES_MAX);
    if (rows.length === 0) return;
    try {
      await this.insert(rows);
    } catch (e) {
      if (isDbUnavailable(e)) throw e;
      await this.isolate(rows);
    }
  }

  private async insert(rows: UnflushedRow[]) {
    const { roomCode, log, metrics } = this.deps;
    const started = this.deps.now();
    await inSpan("room.flush", { room: roomCode, messages: rows.length }, () => this.deps.db.run((conn) => insertMessages(conn, rows.map((r) => r.row))));
    log.markFlushed(rows);
    this.pruneIfOver();
    const now = this.deps.now();
    this.flushed.add(rows.length, now - started, { last_seq: rows.at(-1)!.seq });
    // Lag: from the oldest row's commit (its created_at is the room's clock at commit) to Postgres having it.
    const lag = Math.max(0, now - (rows[0]!.row.createdAt?.getTime() ?? now));
    metrics.write({ kind: "flush", room: roomCode, messages: rows.length, flush_ms: now - started, lag_ms: lag, unflushed: log.unflushedCount() });
  }

  /** Bounds the log by what it stores (pruning is a write of its own: done once the log is a tenth over). */
  private pruneIfOver() {
    if (this.deps.log.overBound()) this.deps.log.prune(this.deps.now());
  }

  /** Row by row, so only the rows Postgres refuses on their own are set aside. */
  private async isolate(rows: UnflushedRow[]) {
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

/** Waits ms (nothing for ms ≤ 0). */
export const pause = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
