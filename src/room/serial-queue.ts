// The room's one ordered path: every write to Postgres and the caches (send
// batches of both channels, reactions, deletions, purchases, cache refills)
// runs here, one after another, so the caches follow Postgres' order.
// Work inside the queue must not wait for later work in the queue (that would
// never start): it queues follow-ups, such as a system message, instead.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => {});
    return result;
  }

  /** Resolves once everything queued so far has run (failed work included). */
  idle(): Promise<void> {
    return this.run(async () => {});
  }
}
