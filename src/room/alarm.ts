// A Durable Object has one alarm for all its jobs (flush retries and the safety wake, pin
// expiry). Each job asks to be woken no later than its own time and never pushes an earlier
// wake back; when the jobs' wakes are known anew (everything flushed), the alarm is set to the
// earliest of them, or taken away. The changes run one after another in the order asked: a
// "no later than" reads the alarm before it writes, and a change asked after it must not land
// between the two.
export class RoomAlarm {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Rings no later than `ms`. */
  noLaterThan(ms: number): Promise<void> {
    return this.then(async () => {
      const current = await this.storage.getAlarm();
      if (current === null || ms < current) await this.storage.setAlarm(ms);
    });
  }

  /** Rings at `ms`, or not at all (null). */
  set(ms: number | null): Promise<void> {
    return this.then(() => (ms === null ? this.storage.deleteAlarm() : this.storage.setAlarm(ms)));
  }

  private then(change: () => Promise<void>): Promise<void> {
    const done = this.chain.then(change);
    this.chain = done.catch(() => {});
    return done;
  }
}

/** The earliest of the jobs' next wakes (null: no job needs one). */
export function earliest(wakes: (number | null)[]): number | null {
  let next: number | null = null;
  for (const at of wakes) if (at !== null && (next === null || at < next)) next = at;
  return next;
}
