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

/** How often a tally's line is written at most. */
export const TALLY_EVERY_MS = 10_000;

/**
 * An event that happens per batch (a flush, say) logged as one line per interval: its counts
 * summed, its other fields as of the last batch. At low rates a batch is one message, and a
 * line per message would cost more than the message (and drown what an operator must see).
 * No timer: a line is written by the first batch after the interval, so the tally never keeps
 * a room awake (what a room that goes to sleep had not written yet comes with its next line).
 */
export class EventTally {
  private count = 0;
  private batches = 0;
  private maxMs = 0;
  private since: number | null = null;

  constructor(
    private readonly event: string,
    private readonly room: string,
    private readonly now: () => number = Date.now,
  ) {}

  add(count: number, ms: number, fields: Record<string, string | number | boolean | null> = {}): void {
    const now = this.now();
    this.since ??= now;
    this.count += count;
    this.batches++;
    this.maxMs = Math.max(this.maxMs, ms);
    if (now - this.since < TALLY_EVERY_MS) return;
    logEvent(this.event, { room: this.room, ...fields, count: this.count, batches: this.batches, max_ms: this.maxMs, seconds: Math.round((now - this.since) / 1000) });
    this.count = 0;
    this.batches = 0;
    this.maxMs = 0;
    this.since = now;
  }
}
