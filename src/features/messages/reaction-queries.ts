// Reactions in Postgres: the truth the Redis counts are rebuilt from.
import type { ReactionCount } from "../../protocol";
import { and, count, eq, inArray } from "drizzle-orm";
import type { Db } from "../../platform/db";
import { messageReactions } from "../../platform/schema";
import { sortReactions } from "../../domain/reactions";
import { REACTIONS_PER_MESSAGE_MAX } from "../../domain/limits";
import { ApiError } from "../../platform/errors";

/** Adds the reaction, or removes it when this participant already gave it. */
export async function toggleReaction(
  db: Db,
  r: { messageId: string; participationId: string; emoji: string },
): Promise<"added" | "removed"> {
  const same = and(
    eq(messageReactions.messageId, r.messageId),
    eq(messageReactions.participationId, r.participationId),
    eq(messageReactions.emoji, r.emoji),
  );
  const removed = await db.delete(messageReactions).where(same).returning({ id: messageReactions.id });
  if (removed.length > 0) return "removed";
  // The room runs reactions one at a time, so counting first cannot race another add.
  const [given] = await db
    .select({ n: count() })
    .from(messageReactions)
    .where(and(eq(messageReactions.messageId, r.messageId), eq(messageReactions.participationId, r.participationId)));
  if (Number(given?.n ?? 0) >= REACTIONS_PER_MESSAGE_MAX) {
    throw new ApiError(409, "REACTION_LIMIT", `You can put at most ${REACTIONS_PER_MESSAGE_MAX} different reactions on one message; remove one first.`, {
      max_reactions: REACTIONS_PER_MESSAGE_MAX,
    });
  }
  await db.insert(messageReactions).values(r).onConflictDoNothing();
  return "added";
}

/** Counts per message, for every id asked (an id without reactions maps to []). */
export async function reactionCounts(db: Db, messageIds: string[]): Promise<Map<string, ReactionCount[]>> {
  return countsByMessage(messageIds, messageIds.length === 0 ? [] : await reactionCountsQuery(db, messageIds));
}

/** The counting query not yet sent, for a batch; countsByMessage reads its rows. */
export const reactionCountsQuery = (db: Db, messageIds: string[]) =>
  db
    .select({ messageId: messageReactions.messageId, emoji: messageReactions.emoji, count: count() })
    .from(messageReactions)
    .where(inArray(messageReactions.messageId, messageIds))
    .groupBy(messageReactions.messageId, messageReactions.emoji);

export function countsByMessage(messageIds: string[], rows: { messageId: string; emoji: string; count: number }[]): Map<string, ReactionCount[]> {
  const out = new Map<string, ReactionCount[]>(messageIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.messageId)?.push({ emoji: r.emoji, count: Number(r.count) });
  for (const [id, counts] of out) out.set(id, sortReactions(counts));
  return out;
}
