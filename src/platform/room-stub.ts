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
