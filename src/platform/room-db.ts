// The room's own Postgres connection: opened on first use, reused across sends,
// closed after a short idle time (an open Neon WebSocket keeps the Durable
// Object awake), and re-opened once when a reused connection turns out dead.
import type { Client } from "@neondatabase/serverless";
import { connectClient, isDbUnavailable, type RoomConn } from "./db";

export const ROOM_DB_IDLE_MS = 10_000;

export class RoomDb {
  private conn: Promise<{ db: RoomConn; client: Client }> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly env: Env) {}

  /** Runs fn on the room's connection; on a connection failure, reconnects once and runs it again. */
  async run<T>(fn: (db: RoomConn) => Promise<T>): Promise<T> {
    this.touch();
    try {
      return await fn(await this.open());
    } catch (e) {
      if (!isDbUnavailable(e)) throw e;
      this.drop();
      return await fn(await this.open());
    } finally {
      this.touch();
    }
  }

  private async open(): Promise<RoomConn> {
    if (!this.conn) {
      const opening = connectClient(this.env).then((c) => {
        // A socket that dies between sends surfaces here, not as an unhandled error.
        c.client.on("error", () => this.conn === opening && this.drop());
        return c;
      });
      this.conn = opening;
      opening.catch(() => this.conn === opening && (this.conn = null));
    }
    return (await this.conn).db;
  }

  private touch() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    // Nothing to close after a failed connect: a timer would only keep the object awake.
    if (this.conn) this.idleTimer = setTimeout(() => this.drop(), ROOM_DB_IDLE_MS);
  }

  drop() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const conn = this.conn;
    this.conn = null;
    conn?.then((c) => c.client.end()).catch(() => {});
  }
}
