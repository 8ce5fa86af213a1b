// Reaction counts cached per message: a hash chat:{code}:reactions:{message_id}
// of emoji → count, living as long as the message window (24 h). Postgres is
// the truth: every toggle rewrites the hash from it. The API reads counts from
// Postgres, in the batch it needs anyway; the hashes are for operators' tools.
import type { ReactionCount } from "../../protocol";
import type { Redis } from "@upstash/redis/cloudflare";
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
