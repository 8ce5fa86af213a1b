// PGlite has one backend, and pglite-socket shares it between connections by
// running their protocol messages one at a time. It keeps a transaction's
// messages together, but not an extended-protocol query: Parse, Bind and
// Execute of one connection can interleave with another's, so one unnamed
// statement replaces the other ("unnamed prepared statement does not exist",
// or worse, a Bind to the wrong statement). Real Postgres gives each
// connection its own backend; this queue gets close to that by letting one
// connection own the backend from its first message until its Sync (or simple
// Query) completes outside a transaction.
import type { PGlite } from "@electric-sql/pglite";

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'
const STARTUP = 0x00; // the startup message has no type byte: its length starts with 0

interface Job {
  handlerId: number;
  message: Uint8Array;
  onData(data: Uint8Array): void;
  resolve(bytes: number): void;
  reject(err: unknown): void;
}

/** Drop-in for pglite-socket's internal QueryQueueManager (same method names). */
export class QueryCycleQueue {
  private owner: number | null = null;
  private jobs: Job[] = [];
  private running = false;
  private readonly db: PGlite;

  constructor(db: PGlite) {
    this.db = db;
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.jobs.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.jobs.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.jobs = this.jobs.filter((j) => {
      if (j.handlerId !== handlerId) return true;
      j.reject(new Error("Handler disconnected"));
      return false;
    });
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec("ROLLBACK");
    this.owner = null;
    await this.pump();
  }

  private async pump() {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const at = this.jobs.findIndex((j) => this.owner === null || j.handlerId === this.owner);
        if (at === -1) return;
        const job = this.jobs.splice(at, 1)[0]!;
        this.owner = job.handlerId;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(job.message, {
              onRawData: (d: Uint8Array) => {
                bytes += d.length;
                job.onData(d);
              },
            }),
          );
        } catch (e) {
          job.reject(e);
        }
        const type = job.message[0];
        const cycleDone = type === SYNC || type === QUERY || type === TERMINATE || type === STARTUP;
        if (cycleDone && !this.db.isInTransaction()) this.owner = null;
        job.resolve(bytes);
      }
    } finally {
      this.running = false;
    }
  }
}
