// The secrets `npm run deploy` checks before anything goes out (dev/deploy.ts).
import { jsonArrayIn } from "./json-output.ts";

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
  const list = jsonArrayIn(output);
  if (list === null) return null;
  return list.flatMap((s) => (s && typeof s === "object" && typeof (s as { name?: unknown }).name === "string" ? [(s as { name: string }).name] : []));
}
