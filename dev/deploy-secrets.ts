// The secrets `npm run deploy` checks before anything goes out (dev/deploy.ts).

/** What the Worker reads from `wrangler secret put` (the rest are [vars] in wrangler.toml; OPERATOR_TOKEN is optional). */
export const REQUIRED_SECRETS = [
  "DATABASE_URL",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "JWT_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
] as const;

/**
 * The names in `wrangler secret list --format json`'s output, or null when it holds no such list.
 * Its JSON array starts a line of its own; wrangler may print warnings before it.
 */
export function secretNamesOf(output: string): string[] | null {
  const start = output.search(/^\[/m);
  if (start < 0) return null;
  try {
    const list = JSON.parse(output.slice(start)) as unknown;
    if (!Array.isArray(list)) return null;
    return list.flatMap((s) => (s && typeof s === "object" && typeof (s as { name?: unknown }).name === "string" ? [(s as { name: string }).name] : []));
  } catch {
    return null;
  }
}
