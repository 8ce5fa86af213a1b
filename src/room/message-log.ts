// The room's own log of messages, in its Durable Object's SQLite storage: the
// commit point of a send. A batch is planned from this log (the channel's seq,
// client_id retries, reply targets) and written to it in one transaction; the
// room then broadcasts and the flusher copies the rows to Postgres in log
// order. Rows are unflushed until Postgres has them (stored as state
// 'pending'), then `flushed`; a row
// Postgres refuses for a reason other than being unreachable is `rejected`
// (logged and skipped, so it never blocks the rows behind it). Flushed rows
// are pruned beyond the newest LOG_RETAIN_ROWS, and retry keys after the
// retry window or past their count, so the room's storage stays bounded.
import type { Channel, PublicMessage, ReactionCount, ReplySnapshot } from "../protocol";
import type { NewMessageRow } from "../platform/schema";
import { countWithin } from "../features/messages/window";

/** How long a client_id names one send (the same window Postgres' retry lookup used). */
export const RETRY_WINDOW_MS = 24 * 3600_000;
/**
 * Retry keys kept per retained row, however young: a busy room would otherwise keep a day of
 * them. A retry whose key went is taken as a new send; a real retry comes seconds after its
 * send, not thousands of sends later.
 */
const RETRY_KEYS_PER_ROW = 5;

/** One committed message: the Postgres row to flush and the public message that was broadcast. */
export interface LogEntry {
  id: string;
  channel: Channel;
  seq: number;
  row: NewMessageRow;
  message: PublicMessage;
  retryKey: string | null;
}

/**
 * A message the log still holds, with its reaction counts: kept by the room for every message
 * committed since the log kept them (migration 4); null for older rows (Postgres has them).
 */
export interface KeptMessage {
  message: PublicMessage;
  reactions: ReactionCount[] | null;
}

export interface UnflushedRow {
  pos: number;
  id: string;
  channel: Channel;
  seq: number;
  row: NewMessageRow;
}

type Sql = SqlStorage;

export class MessageLog {
  constructor(
    private readonly sql: Sql,
    private readonly transaction: <T>(fn: () => T) => T,
    /** The room's clock (retry keys expire by it). The tables are room-schema.ts'. */
    private readonly now: () => number = Date.now,
    /** Flushed rows kept for resumes and reply lookups (LOG_RETAIN_ROWS; older ones are read from Postgres). */
    private readonly retainRows = 2000,
  ) {}

  /** The channel's newest committed seq; null when this room has never stored one (the seed gives it one, room-seed.ts). */
  lastSeq(channel: Channel): number | null {
    const [row] = this.sql.exec<{ last_seq: number }>(`SELECT last_seq FROM channel_seq WHERE channel = ?`, channel).toArray();
    return row ? row.last_seq : null;
  }

  /** When the channel's newest logged message was created (ms), or null for an empty log. */
  newestCreatedAt(channel: Channel): number | null {
    const [row] = this.sql.exec<{ message: string }>(`SELECT message FROM message_log WHERE channel = ? ORDER BY seq DESC LIMIT 1`, channel).toArray();
    return row ? Date.parse((JSON.parse(row.message) as PublicMessage).created_at) : null;
  }

  setLastSeq(channel: Channel, seq: number): void {
    this.sql.exec(`INSERT INTO channel_seq (channel, last_seq) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET last_seq = excluded.last_seq`, channel, seq);
  }

  /** Commits a planned batch: its rows, its retry keys and the channel's new seq, all or nothing. */
  append(channel: Channel, entries: LogEntry[], lastSeq: number, now: number): void {
    this.transaction(() => {
      for (const e of entries) {
        this.sql.exec(
          `INSERT INTO message_log (id, channel, seq, pg_row, message, created_at, reactions) VALUES (?, ?, ?, ?, ?, ?, '[]')`,
          e.id,
          e.channel,
          e.seq,
          JSON.stringify(e.row),
          JSON.stringify(e.message),
          now,
        );
        if (e.retryKey) this.sql.exec(`INSERT OR REPLACE INTO retry_keys (key, message_id, created_at) VALUES (?, ?, ?)`, e.retryKey, e.id, now);
      }
      this.setLastSeq(channel, lastSeq);
    });
  }

  /** Takes back the newest rows of a batch Postgres did not take (strict mode): the channel's seq goes back with them. */
  rollback(channel: Channel, ids: string[], lastSeq: number): void {
    this.transaction(() => {
      for (const id of ids) {
        this.sql.exec(`DELETE FROM message_log WHERE id = ? AND state = 'pending'`, id);
        this.sql.exec(`DELETE FROM retry_keys WHERE message_id = ?`, id);
      }
      this.setLastSeq(channel, lastSeq);
    });
  }

  /** Messages stored earlier under these retry keys, by key; `null` when the key is known but its row was pruned. */
  sentEarlier(keys: string[]): Map<string, { id: string; message: PublicMessage | null }> {
    const out = new Map<string, { id: string; message: PublicMessage | null }>();
    const since = this.now() - RETRY_WINDOW_MS;
    for (const key of new Set(keys)) {
      const [row] = this.sql
        .exec<{ message_id: string; message: string | null }>(
          `SELECT k.message_id, l.message FROM retry_keys k LEFT JOIN message_log l ON l.id = k.message_id
           WHERE k.key = ? AND k.created_at > ? AND (l.state IS NULL OR l.state != 'rejected')`,
          key,
          since,
        )
        .toArray();
      if (row) out.set(key, { id: row.message_id, message: row.message ? (JSON.parse(row.message) as PublicMessage) : null });
    }
    return out;
  }

  /** Reply targets this log holds (live messages of the channel), and the ids it cannot answer for. */
  replyTargets(channel: Channel, ids: string[]): { found: Map<string, ReplySnapshot>; unknown: string[] } {
    const found = new Map<string, ReplySnapshot>();
    const unknown: string[] = [];
    for (const id of ids) {
      const [row] = this.sql
        .exec<{ channel: string; message: string; deleted: number; state: string }>(
          `SELECT channel, message, deleted, state FROM message_log WHERE id = ?`,
          id,
        )
        .toArray();
      if (!row) {
        unknown.push(id);
        continue;
      }
      if (row.channel !== channel || row.deleted || row.state === "rejected") continue;
      const m = JSON.parse(row.message) as PublicMessage;
      found.set(id, { id: m.id, username: m.username, content: m.content, is_from_host: m.is_from_host });
    }
    return { found, unknown };
  }

  /**
   * An account was deleted: these messages (new name by id, as Postgres renamed them) take the
   * new names and lose the account id, in what the log broadcasts and in what it flushes, and
   * replies quoting them quote the new name, whether or not the log still holds the quoted one.
   * The log is bounded (LOG_RETAIN_ROWS), so reading it through is cheap.
   */
  renameAuthors(names: Map<string, string>): number {
    let renamed = 0;
    const rows = this.sql.exec<{ id: string; message: string; pg_row: string }>(`SELECT id, message, pg_row FROM message_log`).toArray();
    this.transaction(() => {
      for (const r of rows) {
        const message = JSON.parse(r.message) as PublicMessage;
        const name = names.get(r.id);
        const quoted = message.reply_to_message && names.get(message.reply_to_message.id);
        if (name === undefined && !quoted) continue;
        if (quoted) message.reply_to_message = { ...message.reply_to_message!, username: quoted };
        let row = r.pg_row;
        if (name !== undefined) {
          Object.assign(message, { username: name, user_id: null, user: null, username_is_reserved: false });
          row = JSON.stringify({ ...JSON.parse(r.pg_row), username: name, userId: null, usernameIsReserved: false });
          renamed++;
        }
        this.sql.exec(`UPDATE message_log SET message = ?, pg_row = ? WHERE id = ?`, JSON.stringify(message), row, r.id);
      }
    });
    return renamed;
  }

  /** What the log holds of a channel, oldest first: for operators comparing it with Redis and Postgres. */
  summary(channel: Channel): { seq: number; id: string; state: string; deleted: boolean }[] {
    return this.sql
      .exec<{ seq: number; id: string; state: string; deleted: number }>(`SELECT seq, id, state, deleted FROM message_log WHERE channel = ? ORDER BY seq`, channel)
      .toArray()
      .map((r) => ({ seq: r.seq, id: r.id, state: r.state, deleted: r.deleted === 1 }));
  }

  markDeleted(id: string): void {
    this.sql.exec(`UPDATE message_log SET deleted = 1 WHERE id = ?`, id);
  }

  unflushedCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM message_log WHERE state = 'pending'`).one().n;
  }

  /** The log position of the newest row (0 when empty): a flush "through here" covers everything committed so far. */
  newestPos(): number {
    return this.sql.exec<{ p: number | null }>(`SELECT max(pos) AS p FROM message_log`).one().p ?? 0;
  }

  oldestUnflushedPos(): number | null {
    return this.sql.exec<{ p: number | null }>(`SELECT min(pos) AS p FROM message_log WHERE state = 'pending'`).one().p;
  }

  /** The oldest unflushed rows, in log order: at most `limit`, and no more than about `maxBytes` of them (at least one). */
  oldestUnflushed(limit: number, maxBytes = Infinity): UnflushedRow[] {
    const rows: UnflushedRow[] = [];
    let bytes = 0;
    for (const r of this.sql.exec<{ pos: number; id: string; channel: Channel; seq: number; pg_row: string }>(
      `SELECT pos, id, channel, seq, pg_row FROM message_log WHERE state = 'pending' ORDER BY pos LIMIT ?`,
      limit,
    )) {
      bytes += r.pg_row.length;
      if (rows.length > 0 && bytes > maxBytes) break;
      rows.push({ pos: r.pos, id: r.id, channel: r.channel, seq: r.seq, row: reviveRow(r.pg_row) });
    }
    return rows;
  }

  isUnflushed(id: string): boolean {
    return this.sql.exec(`SELECT 1 FROM message_log WHERE id = ? AND state = 'pending'`, id).toArray().length > 0;
  }

  /** Which of these ids Postgres refused (see flusher.ts). */
  rejectedAmong(ids: string[]): string[] {
    return ids.filter((id) => this.sql.exec(`SELECT 1 FROM message_log WHERE id = ? AND state = 'rejected'`, id).toArray().length > 0);
  }

  /** Postgres has these rows: they are the oldest pending ones (flushes go in log order), so one statement marks them. */
  markFlushed(rows: UnflushedRow[]): void {
    const last = rows.at(-1);
    if (last) this.sql.exec(`UPDATE message_log SET state = 'flushed' WHERE state = 'pending' AND pos <= ?`, last.pos);
  }

  markRejected(row: UnflushedRow): void {
    this.sql.exec(`UPDATE message_log SET state = 'rejected' WHERE pos = ?`, row.pos);
  }

  /** The channel's messages after `afterSeq` that Postgres does not have yet, oldest first. */
  unflushedAfter(channel: Channel, afterSeq: number): PublicMessage[] {
    return this.sql
      .exec<{ message: string }>(
        `SELECT message FROM message_log WHERE channel = ? AND seq > ? AND state = 'pending' ORDER BY seq`,
        channel,
        afterSeq,
      )
      .toArray()
      .map((r) => JSON.parse(r.message) as PublicMessage);
  }

  /**
   * The channel's flushed, live messages after `afterSeq` up to `upToSeq`, as broadcast (a deleted
   * parent's words withheld, as Postgres shows them), or null when the log no longer reaches back
   * to afterSeq + 1 (it keeps the newest retainRows; seqs have no holes, so then it has them all).
   */
  flushedBetween(channel: Channel, afterSeq: number, upToSeq: number): KeptMessage[] | null {
    const first = this.sql.exec<{ s: number | null }>(`SELECT min(seq) AS s FROM message_log WHERE channel = ?`, channel).one().s;
    if (first === null || first > afterSeq + 1) return null;
    const deleted = new Set(
      this.sql.exec<{ id: string }>(`SELECT id FROM message_log WHERE channel = ? AND deleted = 1`, channel).toArray().map((r) => r.id),
    );
    return this.sql
      .exec<{ message: string; reactions: string | null }>(
        `SELECT message, reactions FROM message_log WHERE channel = ? AND seq > ? AND seq <= ? AND state = 'flushed' AND deleted = 0 ORDER BY seq`,
        channel,
        afterSeq,
        upToSeq,
      )
      .toArray()
      .map((r) => {
        const m = JSON.parse(r.message) as PublicMessage;
        const parent = m.reply_to_message;
        const message = parent && deleted.has(parent.id) ? { ...m, reply_to_message: { ...parent, content: null } } : m;
        return { message, reactions: r.reactions === null ? null : (JSON.parse(r.reactions) as ReactionCount[]) };
      });
  }

  /** A message's reaction counts changed (the room toggles every reaction, features/messages/room-actions.ts). */
  setReactions(id: string, reactions: ReactionCount[]): void {
    this.sql.exec(`UPDATE message_log SET reactions = ? WHERE id = ?`, JSON.stringify(reactions), id);
  }

  /** The newest seq of the channel that Postgres has (or rejected): every seq up to it is flushed. */
  flushedSeq(channel: Channel): number {
    const first = this.sql
      .exec<{ s: number | null }>(`SELECT min(seq) AS s FROM message_log WHERE channel = ? AND state = 'pending'`, channel)
      .one().s;
    return first !== null ? first - 1 : (this.lastSeq(channel) ?? 0);
  }

  /**
   * How many of the channel's newest live messages fit in `maxBytes` (at most `maxCount`): what the
   * Redis window keeps after an append. Counted from the log (its rows are the window's messages),
   * so the budget costs no Redis read.
   */
  newestFitting(channel: Channel, maxCount: number, maxBytes: number): number {
    const sizes = this.sql
      .exec<{ n: number }>(`SELECT length(CAST(message AS BLOB)) AS n FROM message_log WHERE channel = ? AND deleted = 0 ORDER BY pos DESC LIMIT ?`, channel, maxCount)
      .toArray();
    const kept = countWithin(sizes.map((r) => r.n), { maxCount, maxBytes });
    // Fewer rows than maxCount in the log (a new log): the rest of the window is older and counts as it was.
    return sizes.length < maxCount && kept === sizes.length ? maxCount : kept;
  }

  /**
   * Whether the log holds a tenth more than it keeps: judged by what is stored (from the oldest
   * row's position to the newest's, which counts every row: rows go from either end only), not by
   * what one wake flushed, since a room may sleep between small bursts.
   */
  overBound(): boolean {
    const { lo, hi } = this.sql.exec<{ lo: number | null; hi: number | null }>(`SELECT min(pos) AS lo, max(pos) AS hi FROM message_log`).one();
    return lo !== null && hi !== null && hi - lo + 1 > this.retainRows + Math.ceil(this.retainRows / 10);
  }

  /** Drops flushed rows beyond the newest retainRows, and retry keys past the retry window or beyond the newest RETRY_KEYS_PER_ROW × retainRows. */
  prune(now: number): void {
    const keepFrom = this.newestPos() - this.retainRows;
    if (keepFrom > 0) this.sql.exec(`DELETE FROM message_log WHERE pos <= ? AND state != 'pending'`, keepFrom);
    this.sql.exec(`DELETE FROM retry_keys WHERE created_at <= ?`, now - RETRY_WINDOW_MS);
    this.sql.exec(
      `DELETE FROM retry_keys WHERE rowid <= (SELECT rowid FROM retry_keys ORDER BY rowid DESC LIMIT 1 OFFSET ?)`,
      RETRY_KEYS_PER_ROW * this.retainRows,
    );
  }
}

/** A stored Postgres row with its timestamps turned back into Dates. */
function reviveRow(json: string): NewMessageRow {
  const row = JSON.parse(json) as NewMessageRow & { createdAt: string; pinnedUntil: string | null };
  return { ...row, createdAt: new Date(row.createdAt), pinnedUntil: row.pinnedUntil ? new Date(row.pinnedUntil) : null };
}
