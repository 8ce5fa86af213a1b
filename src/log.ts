// One line per event, as JSON, always with the room code when there is one.
// Never pass tokens, passwords, URLs with query strings or message bodies.
export function logEvent(event: string, fields: Record<string, string | number | boolean | null | undefined> = {}): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/**
 * A short description of an error that is safe to log: a failed query's own
 * text carries its parameters (message bodies, hashes), so only its cause is kept.
 */
export function errorText(err: unknown): string {
  const inner = err instanceof Error && err.cause !== undefined ? err.cause : err;
  const text = inner instanceof Error ? `${inner.name}: ${inner.message}` : String(inner);
  return text.slice(0, 300);
}
