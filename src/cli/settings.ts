// Where the operator CLIs find Redis and Postgres: the environment first (as
// in production: UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN,
// DATABASE_URL, and CHATPOP_URL with OPERATOR_TOKEN for a room's own log), otherwise the local stack that `npm run dev` is running
// (it writes its addresses to .data/dev-stack.json while it runs).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isRoomCode } from "../domain/room-code";

export const DEV_STACK_FILE = fileURLToPath(new URL("../../.data/dev-stack.json", import.meta.url));

export interface CliSettings {
  redisUrl: string;
  redisToken: string;
  databaseUrl: string | null;
  /** The Worker and its operator token, for what only a room can say (its log): both or neither. */
  worker: { url: string; token: string } | null;
  source: "environment" | "npm run dev";
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function cliSettings(env: NodeJS.ProcessEnv = process.env): CliSettings {
  if (env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN) {
    return {
      redisUrl: env.UPSTASH_REDIS_REST_URL,
      redisToken: env.UPSTASH_REDIS_REST_TOKEN,
      databaseUrl: env.DATABASE_URL || null,
      worker: env.CHATPOP_URL && env.OPERATOR_TOKEN ? { url: env.CHATPOP_URL, token: env.OPERATOR_TOKEN } : null,
      source: "environment",
    };
  }
  let local: Record<string, string>;
  try {
    local = JSON.parse(readFileSync(DEV_STACK_FILE, "utf8"));
  } catch {
    throw new CliError(
      "No Redis to talk to: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (see docs/DEPLOY.md), or start the local stack with `npm run dev`.",
      2,
    );
  }
  return {
    redisUrl: local.UPSTASH_REDIS_REST_URL!,
    redisToken: local.UPSTASH_REDIS_REST_TOKEN!,
    databaseUrl: env.DATABASE_URL || local.DATABASE_URL || null,
    worker: local.CHATPOP_URL && local.OPERATOR_TOKEN ? { url: local.CHATPOP_URL, token: local.OPERATOR_TOKEN } : null,
    source: "npm run dev",
  };
}

/** The code, checked before it goes near a key name ("*", ":" or spaces would reach other rooms' keys). */
export function requireRoomCode(code: string): string {
  if (!isRoomCode(code)) throw new CliError(`"${code}" is not a room code (8 characters from 23456789abcdefghjkmnpqrstuvwxyz).`, 2);
  return code;
}

/** Runs a CLI's main, printing a CliError as one line and exiting with its code. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    if (e instanceof CliError) {
      console.error(`error: ${e.message}`);
      process.exit(e.exitCode);
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}

/** "2h 03m 10s" for a number of seconds. */
export function duration(seconds: number): string {
  if (seconds < 0) return "no expiry";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s` : m > 0 ? `${m}m ${String(s).padStart(2, "0")}s` : `${s}s`;
}

export function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The Upstash client the CLIs use, answering a dead endpoint quickly and plainly. */
export async function connectRedis(settings: CliSettings): Promise<import("@upstash/redis").Redis> {
  const { Redis } = await import("@upstash/redis");
  const redis = new Redis({
    url: settings.redisUrl,
    token: settings.redisToken,
    automaticDeserialization: false,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 200 },
  });
  try {
    await redis.ping();
  } catch (e) {
    const why = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    throw new CliError(
      `Cannot reach Redis at ${settings.redisUrl} (${why}). Check UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN` +
        (settings.source === "npm run dev" ? ", or restart `npm run dev`." : "."),
    );
  }
  return redis;
}
