// Commands asked for JSON (`wrangler secret list --format json`, `npm pack --json`) may
// print other lines before it: wrangler's warnings, a lifecycle script's own output
// (the prepack build's "[client] built …"), some of which start with "[" too.

/** The JSON array that starts a line of the output, after whatever came before it; null when none parses. */
export function jsonArrayIn(output: string): unknown[] | null {
  for (const start of output.matchAll(/^\[/gm)) {
    try {
      const value = JSON.parse(output.slice(start.index)) as unknown;
      if (Array.isArray(value)) return value;
    } catch {
      // A log line that starts with "[": the array, if any, comes later.
    }
  }
  return null;
}
