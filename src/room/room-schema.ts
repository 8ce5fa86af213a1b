// The room's own tables in its Durable Object's SQLite, and their migrations.
// Durable Object SQLite does not take `PRAGMA user_version`, so the version is
// a one-row table; every wake runs the migrations past it, each in one
// transaction with the version's update, before the room reads anything.
// Add a migration at the end; never edit one that has shipped.
type Migration = (sql: SqlStorage) => void;

const MIGRATIONS: Migration[] = [
  // 1: the message log, the commit point of a send (message-log.ts). Rooms older than the
  // version table already have it, hence IF NOT EXISTS.
  (sql) => {
    sql.exec(`CREATE TABLE IF NOT EXISTS message_log (
      pos INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      channel TEXT NOT NULL,
      seq INTEGER NOT NULL,
      pg_row TEXT NOT NULL,
      message TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending',
      deleted INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    )`);
    sql.exec(`CREATE UNIQUE INDEX IF NOT EXISTS message_log_seq ON message_log (channel, seq)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS message_log_pending ON message_log (state, pos)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS retry_keys (key TEXT PRIMARY KEY, message_id TEXT NOT NULL, created_at INTEGER NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS retry_keys_age ON retry_keys (created_at)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS channel_seq (channel TEXT PRIMARY KEY, last_seq INTEGER NOT NULL)`);
  },
  // 2: what a send, a resume and a kick need besides the log, so a room that wakes never asks
  // Postgres (room-bans.ts, room-backroom.ts; the pins' next end and the seed mark are keys).
  (sql) => {
    sql.exec(`CREATE TABLE bans (ban_id TEXT PRIMARY KEY, expires_at INTEGER)`);
    sql.exec(`CREATE TABLE ban_participations (
      ban_id TEXT NOT NULL,
      participation_id TEXT NOT NULL,
      PRIMARY KEY (ban_id, participation_id)
    )`);
    sql.exec(`CREATE TABLE backroom_members (participation_id TEXT PRIMARY KEY)`);
  },
  // 3: logins that ended (logout) while their room sessions may still be valid, so a connect
  // the Worker could not check against Postgres is still refused (ended-logins.ts).
  (sql) => {
    sql.exec(`CREATE TABLE ended_logins (auth_session_id TEXT PRIMARY KEY, ended_at INTEGER NOT NULL)`);
  },
  // 4: each logged message's reaction counts, so a resume needs no Postgres for them (the room
  // toggles every reaction). NULL for rows logged before: their counts are read from Postgres.
  (sql) => {
    sql.exec(`ALTER TABLE message_log ADD COLUMN reactions TEXT`);
  },
  // 5: who is in the room (each participation, as the join told the room) and what each ban says
  // (its reason, the name it bans), so the open flow's lookups need no Postgres (room-participants.ts).
  (sql) => {
    sql.exec(`CREATE TABLE participants (
      id TEXT PRIMARY KEY,
      user_id TEXT,
      fingerprint TEXT,
      username TEXT NOT NULL,
      username_key TEXT NOT NULL,
      username_is_reserved INTEGER NOT NULL,
      ip_address TEXT,
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL
    )`);
    sql.exec(`CREATE INDEX participants_fingerprint ON participants (fingerprint) WHERE user_id IS NULL`);
    sql.exec(`CREATE INDEX participants_user ON participants (user_id) WHERE user_id IS NOT NULL`);
    sql.exec(`CREATE INDEX participants_name ON participants (username_key)`);
    sql.exec(`CREATE INDEX participants_address ON participants (ip_address) WHERE user_id IS NULL`);
    sql.exec(`ALTER TABLE bans ADD COLUMN reason TEXT`);
    sql.exec(`ALTER TABLE bans ADD COLUMN username_key TEXT`);
  },
];

/** The version a room's storage has after its wake. */
export const ROOM_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the room's tables to ROOM_SCHEMA_VERSION; answers the version they had (0: none). */
export function migrateRoomStorage(sql: SqlStorage, transaction: <T>(fn: () => T) => T): number {
  sql.exec(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`);
  const [row] = sql.exec<{ version: number }>(`SELECT version FROM schema_version`).toArray();
  const from = row?.version ?? 0;
  for (let v = from; v < MIGRATIONS.length; v++) {
    transaction(() => {
      MIGRATIONS[v]!(sql);
      sql.exec(`DELETE FROM schema_version`);
      sql.exec(`INSERT INTO schema_version (version) VALUES (?)`, v + 1);
    });
  }
  return from;
}
