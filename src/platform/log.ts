// One line per event, as JSON, always with the room code when there is one.
// Never tokens, passwords, URLs with query strings or message bodies: fields
// with such names are dropped here, whoever passes them.
const SECRET_FIELDS = /token|password|secret|authorization|content|message_body|body|email/i;

export function logEvent(event: string, fields: Record<string, string | number | boolean | null | undefined> = {}): void {
  const safe: Record<string, unknown> = { event };
  for (const [k, v] of Object.entries(fields)) if (!SECRET_FIELDS.test(k)) safe[k] = v;
  console.log(JSON.stringify(safe));
}

/**
 * A short description of an error that is safe to log. A failed query's own
 * text carries its parameters (message bodies, hashes), so only its cause is
 * kept; an Upstash error quotes the command it ran (message bodies again), so
 * that part is cut.
 */
export function errorText(err: unknown): string {
  const inner = err instanceof Error && err.cause !== undefined ? err.cause : err;
  const text = inner instanceof Error ? `${inner.name}: ${inner.message}` : String(inner);
  return text.replace(/,?\s*command was:[\s\S]*$/i, "").slice(0, 300);
}
