// Message reads and writes. Every public message object is built from these rows.
import type { Channel, PublicMessage, ReactionCount, ReplySnapshot } from "../../protocol";
import { and, desc, eq, gt, inArray, lt, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { NO_ID, findRoomQuery, roomIdOf, roomOfRow } from "../rooms/queries";
import { standingQueries } from "../rooms/standing";
import { backroomSeatQuery } from "../backroom/queries";
import type { SessionClaims } from "../../domain/tokens";
import type { Before } from "../../domain/cursor";
import type { Db, HttpDb } from "../../platform/db";
import { messageReactions, messages, type ChatBanRow, type NewMessageRow } from "../../platform/schema";
import { toPublicMessage } from "../../domain/message";
import { sortReactions } from "../../domain/reactions";
import { countsByMessage, reactionCountsQuery } from "./reaction-queries";

const parent = alias(messages, "parent");

const messageWithReply = {
  id: messages.id,
  channel: messages.channel,
  seq: messages.seq,
  username: messages.username,
  userId: messages.userId,
  content: messages.content,
  messageType: messages.messageType,
  isPinned: messages.isPinned,
  pinnedAt: messages.pinnedAt,
  pinnedUntil: messages.pinnedUntil,
  pinAmountCents: messages.pinAmountCents,
  usernameIsReserved: messages.usernameIsReserved,
  createdAt: messages.createdAt,
  replyId: parent.id,
  replyUsername: parent.username,
  replyContent: parent.content,
  replyType: parent.messageType,
  replyDeleted: parent.isDeleted,
};

/** A message's reaction counts, in the same query (a correlated subquery): no second round trip for them. */
const reactionsOf = sql<ReactionCount[] | null>`(
  select json_agg(json_build_object('emoji', r.emoji, 'count', r.n))
  from (select ${messageReactions.emoji} as emoji, count(*)::int as n from ${messageReactions}
        where ${messageReactions.messageId} = ${messages.id} group by ${messageReactions.emoji}) r)`;

type MessageWithReply = {
  [K in keyof typeof messageWithReply]: (typeof messageWithReply)[K]["_"]["data"] | null;
} & { reactions?: ReactionCount[] | null };

/** Messages with their reply's parent joined and their reaction counts: the one query shape every public message comes from. */
const selectWithReply = (db: Db) =>
  db
    .select({ ...messageWithReply, reactions: reactionsOf })
    .from(messages)
    .leftJoin(parent, eq(messages.replyToId, parent.id));


/** Live (not deleted) messages of one channel of a room. */
const liveIn = (roomId: string, channel: Channel) =>
  and(eq(messages.chatRoomId, roomId), eq(messages.channel, channel), eq(messages.isDeleted, false));

function present(chatCode: string, row: MessageWithReply): PublicMessage {
  // A deleted parent is still named, but what it said is withheld.
  const reply: ReplySnapshot | null = row.replyId
    ? { id: row.replyId, username: row.replyUsername!, content: row.replyDeleted ? null : row.replyContent!, is_from_host: row.replyType === "host" }
    : null;
  return toPublicMessage(chatCode, row as Parameters<typeof toPublicMessage>[1], reply, sortReactions(row.reactions ?? []));
}

const presentAll = (chatCode: string, rows: MessageWithReply[]): PublicMessage[] => rows.map((r) => present(chatCode, r));

/** Live messages of one channel of the room with this code. */
const liveInRoomCalled = (code: string, channel: Channel) =>
  and(sql`${messages.chatRoomId} = ${roomIdOf(code)}`, eq(messages.channel, channel), eq(messages.isDeleted, false));

/**
 * A history page, an optional pins list and the room itself, in one round trip
 * (one HTTP batch): everything a history request reads. Rows come newest first
 * from the database and are returned oldest → newest.
 */
export async function historyWithRoom(
  db: HttpDb,
  code: string,
  opts: { limit: number; before: Before | null; channel: Channel; withPins: boolean },
  reader: SessionClaims | null,
) {
  const [rooms, rows, pinned, logins, bans, seats] = await db.batch([
    findRoomQuery(db, code),
    pageQuery(db, code, opts),
    pinsQuery(db, code, opts.withPins),
    ...readerQueries(db, code, reader),
  ]);
  return {
    room: roomOfRow(rooms[0]),
    ...pageOf(code, rows, opts.limit),
    pinned: presentAll(code, pinned),
    reader: readerOf(reader, logins, bans, seats),
  };
}

/**
 * A live message of the room with this code, its reaction counts, the room, and what the reader
 * may read: one round trip (reading the counts here costs less than asking Redis besides).
 */
export async function reactionsWithRoom(db: HttpDb, code: string, id: string, reader: SessionClaims | null) {
  const [rooms, found, counts, logins, bans, seats] = await db.batch([
    findRoomQuery(db, code),
    liveMessageQuery(db, roomIdOf(code), id),
    reactionCountsQuery(db, [id]),
    ...readerQueries(db, code, reader),
  ]);
  return {
    room: roomOfRow(rooms[0]),
    message: found[0] ?? null,
    reactions: countsByMessage([id], counts).get(id)!,
    reader: readerOf(reader, logins, bans, seats),
  };
}

/**
 * The main room's newest page and its pins as queries not yet sent, for another feature's batch (the
 * entry of rooms/enter.ts, beside the join); newestPageOf reads their answers as historyWithRoom does.
 */
export const newestPageQueries = (db: Db, code: string, limit: number) =>
  [pageQuery(db, code, { limit, before: null, channel: "main" }), pinsQuery(db, code, true)] as const;

export const newestPageOf = (code: string, [rows, pinned]: unknown[], limit: number) => ({
  ...pageOf(code, rows as MessageWithReply[], limit),
  pinned: presentAll(code, pinned as MessageWithReply[]),
});

/** What decides whether a reader may read (see rooms/session.ts) and whether it holds a back-room seat, for a batch. */
const readerQueries = (db: Db, code: string, reader: SessionClaims | null) =>
  [...standingQueries(db, code, reader), backroomSeatQuery(db, roomIdOf(code), reader?.participationId ?? NO_ID)] as const;

/** readerQueries' answers: the standing rows, and whether the reader may read the back room (as isBackroomMember decides). */
const readerOf = (reader: SessionClaims | null, logins: unknown[], bans: ChatBanRow[], seats: unknown[]) => ({
  logins,
  bans,
  inBackroom: reader !== null && (reader.isHost || seats.length > 0),
});

/** One page of history on the room's own connection (the cache rebuild). */
export async function historyPage(db: Db, room: { code: string }, opts: { limit: number; before: Before | null; channel?: Channel }) {
  return pageOf(room.code, await pageQuery(db, room.code, { ...opts, channel: opts.channel ?? "main" }), opts.limit);
}

/** Active pins of the main room, the highest amount first (then the one that ends last). */
export async function activePins(db: Db, room: { code: string }): Promise<PublicMessage[]> {
  return presentAll(room.code, await pinsQuery(db, room.code, true));
}

/** Messages older than the cursor: before its seq, or created before its moment (seq order is creation order). */
const olderThan = (before: Before | null) =>
  before === null ? undefined : "seq" in before ? lt(messages.seq, before.seq) : lt(messages.createdAt, before.time);

// One more row than the page says whether there is an older page.
const pageQuery = (db: Db, code: string, opts: { limit: number; before: Before | null; channel: Channel }) =>
  selectWithReply(db)
    .where(and(liveInRoomCalled(code, opts.channel), olderThan(opts.before)))
    .orderBy(desc(messages.seq))
    .limit(opts.limit + 1);

const pageOf = (code: string, rows: MessageWithReply[], limit: number) => ({
  messages: presentAll(code, rows.slice(0, limit).reverse()),
  hasMore: rows.length > limit,
});

const pinsQuery = (db: Db, code: string, wanted: boolean) =>
  selectWithReply(db)
    .where(and(liveInRoomCalled(code, "main"), wanted ? undefined : sql`false`, eq(messages.isPinned, true), gt(messages.pinnedUntil, sql`now()`)))
    .orderBy(desc(messages.pinAmountCents), desc(messages.pinnedUntil));

/** The messages (of this room, not deleted) that replies may quote. */
export async function replyTargets(db: Db, roomId: string, channel: Channel, ids: string[]): Promise<Map<string, ReplySnapshot>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: messages.id, username: messages.username, content: messages.content, type: messages.messageType })
    .from(messages)
    .where(
      and(eq(messages.chatRoomId, roomId), eq(messages.channel, channel), eq(messages.isDeleted, false), inArray(messages.id, ids)),
    );
  return new Map(rows.map((r) => [r.id, { id: r.id, username: r.username, content: r.content, is_from_host: r.type === "host" }]));
}

export async function lastSeq(db: Db, roomId: string, channel: Channel): Promise<number> {
  const [row] = await db
    .select({ max: sql<number>`coalesce(max(${messages.seq}), 0)::int` })
    .from(messages)
    .where(and(eq(messages.chatRoomId, roomId), eq(messages.channel, channel)));
  return Number(row?.max ?? 0);
}

/**
 * One multi-row INSERT, stored whole or not at all. A row whose id is already
 * stored is skipped, so a flush repeated after a lost answer is harmless.
 */
export async function insertMessages(db: Db, rows: NewMessageRow[]): Promise<void> {
  if (rows.length > 0) await db.insert(messages).values(rows).onConflictDoNothing({ target: messages.id });
}

/** A message of the room that is not deleted, with what deleting it needs. */
export async function liveMessage(db: Db, roomId: string, id: string) {
  const [row] = await liveMessageQuery(db, sql`${roomId}`, id);
  return row ?? null;
}

/** The same as a query not yet sent; the room may be a subquery (roomIdOf), for a batch. */
const liveMessageQuery = (db: Db, roomId: SQL, id: string) =>
  db
    .select({
      id: messages.id,
      channel: messages.channel,
      seq: messages.seq,
      participationId: messages.participationId,
      messageType: messages.messageType,
    })
    .from(messages)
    .where(and(sql`${messages.chatRoomId} = ${roomId}`, eq(messages.id, id), eq(messages.isDeleted, false)));

/** Soft-deletes the message and ends its pin; false when it was already deleted (by a concurrent call). */
export async function markDeleted(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .update(messages)
    .set({ isDeleted: true, isPinned: false })
    .where(and(eq(messages.id, id), eq(messages.isDeleted, false)))
    .returning({ id: messages.id });
  return rows.length > 0;
}

/** The live replies to a message, as the window holds them (reactions live in their own hashes). */
export async function repliesTo(db: Db, chatCode: string, id: string): Promise<PublicMessage[]> {
  const rows = await selectWithReply(db)
    .where(and(eq(messages.replyToId, id), eq(messages.isDeleted, false)))
    .orderBy(messages.seq);
  return rows.map((r) => present(chatCode, r));
}

/** One message as the API shows it (with its reply snapshot and reaction counts). */
export async function publicMessage(db: Db, chatCode: string, id: string): Promise<PublicMessage | null> {
  const rows = await selectWithReply(db).where(eq(messages.id, id));
  const [message] = presentAll(chatCode, rows);
  return message ?? null;
}

/** Messages by id, as the API shows them: a retry whose first copy the room's log no longer holds. */
export async function messagesByIds(db: Db, chatCode: string, ids: string[]): Promise<Map<string, PublicMessage>> {
  if (ids.length === 0) return new Map();
  const rows = await selectWithReply(db).where(inArray(messages.id, ids));
  return new Map(presentAll(chatCode, rows).map((m) => [m.id, m]));
}

/** Messages after `afterSeq`, oldest first, with reaction counts: a resuming socket's backlog from Postgres. */
export async function messagesAfter(
  db: Db,
  room: { id: string; code: string },
  opts: { afterSeq: number; limit: number; channel: Channel },
): Promise<PublicMessage[]> {
  const rows = await selectWithReply(db)
    .where(
      and(liveIn(room.id, opts.channel), gt(messages.seq, opts.afterSeq)),
    )
    .orderBy(messages.seq)
    .limit(opts.limit);
  return presentAll(room.code, rows);
}
