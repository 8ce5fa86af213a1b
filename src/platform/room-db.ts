// The room's way to Postgres. Nothing is held between uses: an open Neon
// WebSocket would keep the Durable Object awake (no hibernation) for as long
// as it stays open, and an idle timer to close it would too. So every
// statement goes over Neon's HTTP path (one request, no connection to open),
// and the few writes that need an interactive transaction (a purchase's
// status and effect) open a connection for it and close it after.
import { connectClient, requestDb, type HttpDb, type RoomConn } from "./db";

/** A transaction on a connection the room opened for it (what RoomConn.transaction hands its callback). */
export type RoomTx = Parameters<Parameters<RoomConn["transaction"]>[0]>[0];

export class RoomDb {
  private http: HttpDb | null = null;

  constructor(private readonly env: Env) {}

  /** Runs fn's statements over Neon's HTTP path: one request each (a batch is one request and one transaction). */
  run<T>(fn: (db: HttpDb) => Promise<T>): Promise<T> {
    this.http ??= requestDb(this.env);
    return fn(this.http);
  }

  /** Runs fn in one interactive transaction on a connection opened for it and closed after. */
  async transaction<T>(fn: (tx: RoomTx) => Promise<T>): Promise<T> {
    const { db, client } = await connectClient(this.env);
    // A socket that dies mid-transaction surfaces as the transaction's error, not as an unhandled one.
    client.on("error", () => {});
    try {
      return await db.transaction(fn);
    } finally {
      await client.end().catch(() => {});
    }
  }
}
