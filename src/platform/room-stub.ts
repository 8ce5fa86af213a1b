// The one way to reach a room's Durable Object: by its chat code, with the
// operator's location hint for rooms that do not exist yet (see docs/DEPLOY.md,
// Placement). A hint never moves a room that already exists.
export function roomStub(env: Env, code: string) {
  const hint = env.ROOM_LOCATION_HINT?.trim();
  return env.CHAT_ROOM.getByName(code, hint ? { locationHint: hint as DurableObjectLocationHint } : undefined);
}

/** A relay of a big room (`{code}:{n}`): it is created where its first listener's Worker runs. */
export function relayStub(env: Env, name: string) {
  return env.CHAT_RELAY.getByName(name);
}

/** Rooms told at once by one request or job: each is an RPC, and an invocation may only have so many open. */
export const ROOMS_AT_ONCE = 25;

/** fn for every item, ROOMS_AT_ONCE at a time; each outcome, in the items' order (a failure does not stop the rest). */
export async function inBatches<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const outcomes: PromiseSettledResult<R>[] = [];
  for (let i = 0; i < items.length; i += ROOMS_AT_ONCE) outcomes.push(...(await Promise.allSettled(items.slice(i, i + ROOMS_AT_ONCE).map(fn))));
  return outcomes;
}
