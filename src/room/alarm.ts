// A Durable Object has one alarm for all its jobs (flushing, pin expiry, the idle sweep): each
// job asks to be woken no later than its own time, and never pushes an earlier wake back.
export async function alarmNoLaterThan(storage: DurableObjectStorage, ms: number): Promise<void> {
  const current = await storage.getAlarm();
  if (current === null || ms < current) await storage.setAlarm(ms);
}

/** The earliest of the jobs' next wakes (null: no job needs one). */
export function earliest(wakes: (number | null)[]): number | null {
  let next: number | null = null;
  for (const at of wakes) if (at !== null && (next === null || at < next)) next = at;
  return next;
}
