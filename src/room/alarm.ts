// A Durable Object has one alarm for all its jobs (flushing, pin expiry, the idle sweep): each
// job asks to be woken no later than its own time, and never pushes an earlier wake back.
export async function alarmNoLaterThan(storage: DurableObjectStorage, ms: number): Promise<void> {
  const current = await storage.getAlarm();
  if (current === null || ms < current) await storage.setAlarm(ms);
}
