// What participants do to stored messages: react and delete. Both change
// Postgres first (the truth), then the Redis caches, then tell the room.
// The room runs them one at a time, so cached counts follow Postgres' order.
import { messageDeletedFrame, reactionFrame, type Channel, type ReactionCount } from "../../protocol";
import { ApiError, messageNotFound } from "../../platform/errors";
import type { SessionClaims } from "../../domain/tokens";
import { liveMessage, markDeleted, repliesTo } from "./queries";
import { reactionCounts, toggleReaction } from "./reaction-queries";
import { forgetMessage, refreshCached } from "./window";
import { errorText, logEvent } from "../../platform/log";
import type { RoomStores } from "../room-stores";

export interface ActionDeps extends RoomStores {
  /** Tells the sockets that may see the channel (a back-room message's events stay in the back room). */
  broadcast(frame: string, channel: Channel): void;
  /** A message was deleted: the room's log stops offering it as a reply target. */
  deleted(messageId: string): void;
  /** A message's reaction counts changed: the room's log keeps them for resumes. */
  reacted(messageId: string, reactions: ReactionCount[]): void;
  /** Whether the participant may see back-room messages (members and the host). */
  inBackroom(claims: SessionClaims): Promise<boolean>;
}

export interface ReactionResult {
  message_id: string;
  emoji: string;
  action: "added" | "removed";
  reactions: ReactionCount[];
}

export async function react(deps: ActionDeps, claims: SessionClaims, messageId: string, emoji: string): Promise<ReactionResult> {
  const { action, reactions, channel } = await deps.db.run(async (conn) => {
    const message = await liveMessage(conn, deps.room.id, messageId);
    if (!message || (message.channel === "backroom" && !(await deps.inBackroom(claims)))) throw messageNotFound();
    const action = await toggleReaction(conn, { messageId, participationId: claims.participationId, emoji });
    const reactions = (await reactionCounts(conn, [messageId])).get(messageId)!;
    return { action, reactions, channel: message.channel };
  });
  deps.reacted(messageId, reactions);
  deps.broadcast(reactionFrame({ message_id: messageId, emoji, action, username: claims.username, reactions }), channel);
  logEvent("reaction_toggled", { room: deps.room.code, action });
  return { message_id: messageId, emoji, action, reactions };
}

export async function deleteMessage(deps: ActionDeps, claims: SessionClaims, messageId: string): Promise<{ message_id: string }> {
  const { message, replies } = await deps.db.run(async (conn) => {
    const message = await liveMessage(conn, deps.room.id, messageId);
    if (!message || (message.channel === "backroom" && !(await deps.inBackroom(claims)))) throw messageNotFound();
    if (!claims.isHost && message.participationId !== claims.participationId) {
      throw new ApiError(403, "NOT_ALLOWED", "Only the message's author or the room's host can delete it.");
    }
    if (!(await markDeleted(conn, messageId))) throw messageNotFound();
    return { message, replies: await repliesTo(conn, deps.room.code, messageId) };
  });
  await cacheSafely(deps, "delete_cache_failed", async () => {
    await forgetMessage(deps.redis, deps.room.code, message);
    await refreshCached(deps.redis, deps.room.code, message.channel, replies, deps.window.ttlSeconds);
  });
  deps.deleted(messageId);
  deps.broadcast(messageDeletedFrame(messageId), message.channel);
  logEvent("message_deleted", { room: deps.room.code, by_host: claims.isHost });
  return { message_id: messageId };
}

/** Postgres has the change; a cache that could not follow is marked stale and rebuilt at the next send. */
function cacheSafely(deps: ActionDeps, event: string, fn: () => Promise<void>) {
  return deps.cacheHealth.write(fn, (e) => logEvent(event, { room: deps.room.code, error: errorText(e) }));
}
