// Spans in the Worker's traces ([observability.traces] in wrangler.toml): the room's own
// steps (commit, broadcast, flush) show up inside the request or socket event that ran them.
import { tracing } from "cloudflare:workers";

/** Runs fn inside a span of that name with these attributes (no room message content: codes and counts). */
export function inSpan<T>(name: string, attributes: Record<string, string | number>, fn: () => T): T {
  if (!tracing?.enterSpan) return fn();
  return tracing.enterSpan(name, (span) => {
    span.setAttributes(attributes);
    return fn();
  });
}
