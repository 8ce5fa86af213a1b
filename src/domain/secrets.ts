// Whether the Worker's secrets are fit to serve with. A deploy whose JWT_SECRET
// or STRIPE_WEBHOOK_SECRET is missing, short or a known development value would
// sign tokens anyone can forge (or accept forged webhooks), and fail halfway
// through requests (an account stored, then no token): it must refuse to serve.
// LOCAL_DEV="true" (set by `npm run dev`, the tests and the benchmarks, never by
// wrangler.toml) lets development values through, and the two settings a deploy
// must never carry: STRIPE_API_BASE (the local Stripe stand-in) and
// ALLOW_TEST_PAYMENTS (every purchase completes for free).

const MIN_BYTES = 32;

/** Values that appear in this repository: whoever reads it knows them. */
const KNOWN_VALUES = new Set([
  "replace-with-32-or-more-random-bytes",
  "whsec_replace_me",
  "dev-only-secret-do-not-use-in-production",
  "whsec_dev_only_do_not_use_in_production",
]);

export interface SecretSettings {
  JWT_SECRET?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  LOCAL_DEV?: string;
  STRIPE_API_BASE?: string;
  ALLOW_TEST_PAYMENTS?: string;
  OPERATOR_TOKEN?: string;
}

/** What is wrong with the secrets (names only, never values), or null when the Worker may serve. */
export function secretsProblem(env: SecretSettings): string | null {
  if (env.LOCAL_DEV === "true") return null;
  const problems: string[] = [];
  for (const name of ["JWT_SECRET", "STRIPE_WEBHOOK_SECRET"] as const) {
    const value = env[name];
    if (!value) problems.push(`${name} is not set`);
    else if (KNOWN_VALUES.has(value)) problems.push(`${name} is a development value from the repository`);
    else if (new TextEncoder().encode(value).byteLength < MIN_BYTES) problems.push(`${name} is shorter than ${MIN_BYTES} bytes`);
  }
  // Optional: without it the operators' routes do not exist; with it, it guards them as JWT_SECRET guards tokens.
  if (env.OPERATOR_TOKEN && new TextEncoder().encode(env.OPERATOR_TOKEN).byteLength < MIN_BYTES) problems.push(`OPERATOR_TOKEN is shorter than ${MIN_BYTES} bytes`);
  const devOnly: string[] = [];
  if (env.STRIPE_API_BASE) devOnly.push("STRIPE_API_BASE is set: it points payments at a local Stripe stand-in (development only); remove it");
  if (env.ALLOW_TEST_PAYMENTS === "true") devOnly.push("ALLOW_TEST_PAYMENTS is set: every purchase would complete for free (development only); remove it and set STRIPE_SECRET_KEY");
  if (problems.length === 0) return devOnly.length === 0 ? null : devOnly.join("; ");
  return [`${problems.join("; ")}: set it with \`wrangler secret put\` (32+ random bytes, e.g. \`openssl rand -base64 48\`)`, ...devOnly].join("; ");
}
