// GET /api/auth/me/export/: everything stored about the account, as JSON, read in
// one round trip (one batch). What rooms keep of it (their logs, participant copies)
// are copies of these same rows; Redis holds copies of its messages.
import { asc, eq, inArray, or, sql } from "drizzle-orm";
import type { HttpDb } from "../../platform/db";
import { authSessions, backroomMembers, chatBans, chatRooms, messageReactions, messages, participations, transactions, type UserRow } from "../../platform/schema";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function accountExport(db: HttpDb, user: UserRow) {
  const mine = db.select({ id: participations.id }).from(participations).where(eq(participations.userId, user.id));
  const [logins, joined, sent, reacted, paid, seats, hosted, bans] = await db.batch([
    db.select().from(authSessions).where(eq(authSessions.userId, user.id)).orderBy(asc(authSessions.createdAt)),
    db
      .select({ p: participations, code: chatRooms.code })
      .from(participations)
      .innerJoin(chatRooms, eq(chatRooms.id, participations.chatRoomId))
      .where(eq(participations.userId, user.id))
      .orderBy(asc(participations.createdAt)),
    db
      .select({ m: messages, code: chatRooms.code })
      .from(messages)
      .innerJoin(chatRooms, eq(chatRooms.id, messages.chatRoomId))
      .where(or(eq(messages.userId, user.id), inArray(messages.participationId, mine)))
      .orderBy(asc(messages.createdAt)),
    db
      .select({ messageId: messageReactions.messageId, emoji: messageReactions.emoji, createdAt: messageReactions.createdAt })
      .from(messageReactions)
      .where(inArray(messageReactions.participationId, mine))
      .orderBy(asc(messageReactions.createdAt)),
    db
      .select({ t: transactions, code: chatRooms.code })
      .from(transactions)
      .innerJoin(chatRooms, eq(chatRooms.id, transactions.chatRoomId))
      .where(inArray(transactions.participationId, mine))
      .orderBy(asc(transactions.createdAt)),
    db
      .select({ code: chatRooms.code, createdAt: backroomMembers.createdAt, transactionId: backroomMembers.transactionId })
      .from(backroomMembers)
      .innerJoin(chatRooms, eq(chatRooms.id, backroomMembers.chatRoomId))
      .where(inArray(backroomMembers.participationId, mine)),
    db.select().from(chatRooms).where(eq(chatRooms.hostId, user.id)).orderBy(asc(chatRooms.createdAt)),
    db
      .select({ b: chatBans, code: chatRooms.code })
      .from(chatBans)
      .innerJoin(chatRooms, eq(chatRooms.id, chatBans.chatRoomId))
      .where(or(eq(chatBans.userId, user.id), sql`${user.id}::uuid = any(${chatBans.capturedUserIds})`)),
  ]);
  return {
    exported_at: new Date().toISOString(),
    account: { id: user.id, email: user.email, reserved_username: user.reservedUsername, created_at: user.createdAt.toISOString() },
    logins: logins.map((l) => ({ id: l.id, created_at: l.createdAt.toISOString(), expires_at: l.expiresAt.toISOString(), revoked_at: iso(l.revokedAt) })),
    participations: joined.map(({ p, code }) => ({
      id: p.id,
      room: code,
      username: p.username,
      username_is_reserved: p.usernameIsReserved,
      fingerprint: p.fingerprint,
      ip_address: p.ipAddress,
      joined_at: p.createdAt.toISOString(),
      last_seen_at: p.lastSeenAt.toISOString(),
    })),
    messages: sent.map(({ m, code }) => ({
      id: m.id,
      room: code,
      channel: m.channel,
      seq: m.seq,
      username: m.username,
      content: m.content,
      reply_to: m.replyToId,
      is_deleted: m.isDeleted,
      pin_amount_cents: m.pinAmountCents,
      created_at: m.createdAt.toISOString(),
    })),
    reactions: reacted.map((r) => ({ message_id: r.messageId, emoji: r.emoji, created_at: r.createdAt.toISOString() })),
    payments: paid.map(({ t, code }) => ({
      id: t.id,
      room: code,
      type: t.type,
      amount_cents: t.amountCents,
      currency: t.currency,
      status: t.status,
      refunded_cents: t.refundedCents,
      disputed_cents: t.disputedCents,
      provider: t.provider,
      created_at: t.createdAt.toISOString(),
      completed_at: iso(t.completedAt),
    })),
    back_room_seats: seats.map((s) => ({ room: s.code, transaction_id: s.transactionId, joined_at: s.createdAt.toISOString() })),
    rooms_hosted: hosted.map((r) => ({ code: r.code, name: r.name, description: r.description, access_mode: r.accessMode, created_at: r.createdAt.toISOString() })),
    bans: bans.map(({ b, code }) => ({
      room: code,
      reason: b.reason,
      created_at: b.createdAt.toISOString(),
      expires_at: iso(b.expiresAt),
      revoked_at: iso(b.revokedAt),
    })),
  };
}

export type AccountExport = Awaited<ReturnType<typeof accountExport>>;
