// The logins of this room's sessions that ended (a logout), kept in the room's
// own storage for as long as a session token minted under them could still
// be valid. The Worker checks a logged-in session's login against Postgres at
// connect; while Postgres is away it cannot, and the room refuses what it was
// told of instead, so a deploy during an outage lets logged-in readers back
// in without letting a logged-out token in.
import { SESSION_TOKEN_TTL_SECONDS } from "../domain/tokens";

export class EndedLogins {
  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number,
  ) {}

  /** The login ended: its sessions may connect no more (older records, whose tokens have expired, go). */
  add(authSessionId: string): void {
    const now = this.now();
    this.sql.exec(`DELETE FROM ended_logins WHERE ended_at <= ?`, now - SESSION_TOKEN_TTL_SECONDS * 1000);
    this.sql.exec(`INSERT OR REPLACE INTO ended_logins (auth_session_id, ended_at) VALUES (?, ?)`, authSessionId, now);
  }

  has(authSessionId: string | null): boolean {
    if (authSessionId === null) return false;
    return this.sql.exec(`SELECT 1 FROM ended_logins WHERE auth_session_id = ?`, authSessionId).toArray().length > 0;
  }
}
