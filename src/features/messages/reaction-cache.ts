// Reaction counts cached per message: a hash chat:{code}:reactions:{message_id}
// of emoji → count, living as long as the message window (24 h). Postgres is
// the truth: every toggle rewrites the hash from it, and a missing hash is
// rebuilt from it on read.
import type { ReactionCount } from "../../protocol";
import type { Redis } from "@upstash/redis/cloudflare";
import { sortReactions } from "../../domain/reactions";
import { reactionsKey } from "../../platform/cache-keys";

export async function writeReactionCounts(
  redis: Redis,
  code: string,
  messageId: string,
  counts: ReactionCount[],
  ttlSeconds: number,
): Promise<void> {
  const key = reactionsKey(code, messageId);
  const tx = redis.multi();
  tx.del(key);
  if (counts.length > 0) {
    tx.hset(key, Object.fromEntries(counts.map((r) => [r.emoji, r.count])));
    tx.expire(key, ttlSeconds);
  }
  await tx.exec();
}

/** The cached counts, or null when the hash is missing (expired, evicted, or no reactions yet). */
export async function readReactionCounts(redis: Redis, code: string, messageId: string): Promise<ReactionCount[] | null> {
  // Without automatic deserialization the client hands back Redis' flat [field, value, …] list.
  const raw = (await redis.hgetall(reactionsKey(code, messageId))) as unknown;
  const flat = Array.isArray(raw) ? (raw as string[]) : Object.entries((raw ?? {}) as Record<string, string>).flat();
  if (flat.length === 0) return null;
  const counts = [];
  for (let i = 0; i + 1 < flat.length; i += 2) counts.push({ emoji: String(flat[i]), count: Number(flat[i + 1]) });
  return sortReactions(counts);
}
