// The PostgreSQL schema: the source of truth for accounts, rooms, participations
// and messages. Migrations in drizzle/ are generated from this file by drizzle-kit.
import { sql, type SQL } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

/**
 * A username's look-alike skeleton in SQL, the same as usernameSkeleton (domain/usernames.ts):
 * lower-cased, "rn" → "m", "vv" → "w", then 0 → o, 1 → l, i → l, 5 → s, 8 → b. Change both together.
 */
export const skeletonSql = (column: AnyPgColumn | SQL) =>
  sql`translate(replace(replace(lower(${column}), 'rn', 'm'), 'vv', 'w'), '01i58', 'ollsb')`;

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(), // stored lower-cased
    passwordHash: text("password_hash").notNull(),
    // Optional, as in the original ChatPop: an account without one chats under the names it picks.
    reservedUsername: text("reserved_username"),
    createdAt: createdAt(),
    // Set when the person deleted the account: the row stays (rooms it hosts and payments point
    // at it) with nothing personal left in it (features/accounts/deletion.ts).
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    uniqueIndex("users_reserved_username_ci_key").on(sql`lower(${t.reservedUsername})`),
    // Look-alikes are one name: "AI8pihk" cannot be reserved next to "Al8pihk".
    uniqueIndex("users_reserved_username_skeleton_key").on(skeletonSql(t.reservedUsername)),
  ],
);

// One row per issued account token, so logout can revoke it.
export const authSessions = pgTable(
  "auth_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("auth_sessions_user_idx").on(t.userId)],
);

export const chatRooms = pgTable(
  "chat_rooms",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    hostId: uuid("host_id")
      .notNull()
      .references(() => users.id),
    accessMode: text("access_mode", { enum: ["public", "private"] }).notNull().default("public"),
    accessCodeHash: text("access_code_hash"),
    // The paid back room: off until the host enables it with a price and a seat limit.
    backroomEnabled: boolean("backroom_enabled").notNull().default(false),
    backroomPriceCents: integer("backroom_price_cents"),
    backroomSeatLimit: integer("backroom_seat_limit"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("chat_rooms_code_key").on(t.code), index("chat_rooms_host_idx").on(t.hostId)],
);

// A person's presence in a room: logged in (user set) or anonymous (fingerprint set).
export const participations = pgTable(
  "participations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    chatRoomId: uuid("chat_room_id")
      .notNull()
      .references(() => chatRooms.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    fingerprint: text("fingerprint"),
    username: text("username").notNull(),
    // True when a logged-in participant chats under the account's reserved username (the badge).
    usernameIsReserved: boolean("username_is_reserved").notNull().default(false),
    // The client address at join, as a rate-limit key (IPv6 cut to its /64): see domain/client-ip.ts.
    ipAddress: text("ip_address"),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("participations_room_user_key").on(t.chatRoomId, t.userId).where(sql`${t.userId} is not null`),
    uniqueIndex("participations_room_fingerprint_key")
      .on(t.chatRoomId, t.fingerprint)
      .where(sql`${t.userId} is null`),
    uniqueIndex("participations_room_anon_username_ci_key")
      .on(t.chatRoomId, sql`lower(${t.username})`)
      .where(sql`${t.userId} is null`),
    uniqueIndex("participations_room_user_username_ci_key")
      .on(t.chatRoomId, sql`lower(${t.username})`)
      .where(sql`${t.userId} is not null`),
    check("participations_identity_check", sql`${t.userId} is not null or ${t.fingerprint} is not null`),
    // The retention job finds addresses past their keeping time by this (features/retention).
    index("participations_address_retention_idx").on(t.lastSeenAt).where(sql`${t.ipAddress} is not null`),
  ],
);

// A host's ban. It matches a participation by any of the targets it names
// (see db/bans.ts); revoked_at is set by unban, expires_at is optional.
export const chatBans = pgTable(
  "chat_bans",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    chatRoomId: uuid("chat_room_id")
      .notNull()
      .references(() => chatRooms.id, { onDelete: "cascade" }),
    username: text("username"),
    fingerprint: text("fingerprint"),
    ipAddress: text("ip_address"),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    // What the banned participations were when the host banned them by name or account, so the
    // same device, address or account cannot come back under a new name (see moderation/queries.ts).
    capturedFingerprints: text("captured_fingerprints").array().notNull().default(sql`'{}'::text[]`),
    capturedIpAddresses: text("captured_ip_addresses").array().notNull().default(sql`'{}'::text[]`),
    capturedUserIds: uuid("captured_user_ids").array().notNull().default(sql`'{}'::uuid[]`),
    reason: text("reason").notNull().default(""),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("chat_bans_room_idx").on(t.chatRoomId),
    check(
      "chat_bans_target_check",
      sql`${t.username} is not null or ${t.fingerprint} is not null or ${t.ipAddress} is not null or ${t.userId} is not null`,
    ),
  ],
);

export const messages = pgTable(
  "messages",
  {
    id: uuid("id").primaryKey(),
    chatRoomId: uuid("chat_room_id")
      .notNull()
      .references(() => chatRooms.id, { onDelete: "cascade" }),
    // The main room, or the paid back room: each channel has its own seq and window.
    channel: text("channel", { enum: ["main", "backroom"] }).notNull().default("main"),
    // Position in the room's channel: 1, 2, 3… assigned by the room's Durable Object, the single writer.
    seq: integer("seq").notNull(),
    participationId: uuid("participation_id").references(() => participations.id, { onDelete: "set null" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    username: text("username").notNull(),
    usernameIsReserved: boolean("username_is_reserved").notNull().default(false),
    content: text("content").notNull(),
    messageType: text("message_type", { enum: ["normal", "host", "system"] })
      .notNull()
      .default("normal"),
    replyToId: uuid("reply_to_id").references((): AnyPgColumn => messages.id, { onDelete: "set null" }),
    isPinned: boolean("is_pinned").notNull().default(false),
    // When the current pin began (a pin paid for again keeps its start).
    pinnedAt: timestamp("pinned_at", { withTimezone: true, mode: "date" }),
    pinnedUntil: timestamp("pinned_until", { withTimezone: true, mode: "date" }),
    // What the current pin paid in all (a pin that is paid for again adds up); orders the pins.
    pinAmountCents: integer("pin_amount_cents").notNull().default(0),
    isDeleted: boolean("is_deleted").notNull().default(false),
    clientId: text("client_id"),
    createdAt: createdAt(),
  },
  (t) => [
    // Keyset pagination walks (chat_room_id, channel, seq); it also keeps seq unique per channel.
    uniqueIndex("messages_room_channel_seq_key").on(t.chatRoomId, t.channel, t.seq),
    index("messages_room_created_idx").on(t.chatRoomId, t.createdAt),
    index("messages_room_pinned_idx").on(t.chatRoomId, t.isPinned),
    // Finds a retried send (same participant, same client_id) to answer it with the stored message.
    index("messages_participation_client_idx").on(t.participationId, t.clientId),
    check("messages_seq_positive", sql`${t.seq} > 0`),
  ],
);

// One row per (message, participant, emoji): a second toggle deletes it.
export const messageReactions = pgTable(
  "message_reactions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    participationId: uuid("participation_id")
      .notNull()
      .references(() => participations.id, { onDelete: "cascade" }),
    emoji: text("emoji").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("message_reactions_once_key").on(t.messageId, t.participationId, t.emoji)],
);

// Every payment: what it bought, for how much, and where the provider is with it.
export const transactions = pgTable(
  "transactions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    chatRoomId: uuid("chat_room_id")
      .notNull()
      .references(() => chatRooms.id, { onDelete: "restrict" }),
    participationId: uuid("participation_id")
      .notNull()
      .references(() => participations.id, { onDelete: "restrict" }),
    messageId: uuid("message_id").references(() => messages.id, { onDelete: "set null" }),
    type: text("type", { enum: ["pin", "tip", "back_room"] }).notNull(),
    amountCents: integer("amount_cents").notNull(),
    currency: text("currency").notNull().default("usd"),
    status: text("status", { enum: ["pending", "completed", "failed", "refunded"] }).notNull().default("pending"),
    provider: text("provider").notNull(),
    providerPaymentId: text("provider_payment_id"),
    clientSecret: text("client_secret"),
    idempotencyKey: text("idempotency_key").notNull(),
    createdAt: createdAt(),
    completedAt: timestamp("completed_at", { withTimezone: true, mode: "date" }),
    // Paid, but what it bought could not be given when the payment completed (e.g. "backroom_full").
    notAppliedReason: text("not_applied_reason"),
    // Taken back so far by refunds (partial ones included) and lost disputes; status is "refunded" once it is all.
    refundedCents: integer("refunded_cents").notNull().default(0),
    // A dispute the buyer opened with their bank: its amount while it is open or after it was decided.
    disputedCents: integer("disputed_cents").notNull().default(0),
    disputeStatus: text("dispute_status", { enum: ["open", "won", "lost"] }),
  },
  (t) => [
    uniqueIndex("transactions_idempotency_key").on(t.participationId, t.idempotencyKey),
    uniqueIndex("transactions_provider_payment_key").on(t.provider, t.providerPaymentId),
    index("transactions_room_idx").on(t.chatRoomId, t.type, t.status),
    check("transactions_amount_positive", sql`${t.amountCents} > 0`),
    check("transactions_refund_within_amount", sql`${t.refundedCents} between 0 and ${t.amountCents}`),
  ],
);

export const backroomMembers = pgTable(
  "backroom_members",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    chatRoomId: uuid("chat_room_id")
      .notNull()
      .references(() => chatRooms.id, { onDelete: "cascade" }),
    participationId: uuid("participation_id")
      .notNull()
      .references(() => participations.id, { onDelete: "cascade" }),
    transactionId: uuid("transaction_id").references(() => transactions.id),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("backroom_members_once_key").on(t.chatRoomId, t.participationId)],
);

export type TransactionRow = typeof transactions.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type ChatRoomRow = typeof chatRooms.$inferSelect;
export type ParticipationRow = typeof participations.$inferSelect;
export type ChatBanRow = typeof chatBans.$inferSelect;
export type NewMessageRow = typeof messages.$inferInsert;
