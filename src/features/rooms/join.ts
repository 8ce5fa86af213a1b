// Joining a room in one Postgres round trip. The room's facts (its host, its
// access mode) come from the room itself (room-facts.ts); then one batch (one
// transaction) reads what decideJoin needs AND inserts the participation under
// the same rules written as the insert's condition, while the address's join
// budget (Upstash) is counted beside it. decideJoin then reads the batch's
// answers: it says why a refused join was refused, and the insert's result
// says whether the new participation exists. The condition and decideJoin
// must agree: a row inserted for a join decideJoin refuses is deleted again
// and logged (join_rules_disagree), so a drift shows in the log, never as a
// participation nobody should have. A join past the address's budget is
// taken back the same way (its row deleted) and refused 429. Last, the room
// is told of the participation (room-participants.ts), so its own answers to
// the open flow's lookups include it; a new one it could not be told of is
// taken back too.
import type { Context } from "hono";
import { eq, sql, type SQL } from "drizzle-orm";
import { ApiError, usernameTaken } from "../../platform/errors";
import type { HttpDb } from "../../platform/db";
import type { AppEnv } from "../../platform/http/context";
import { requireClientIp } from "../../platform/http/client-ip";
import { rateLimitBeside } from "../../platform/http/rate-limit";
import { settingsOf } from "../../platform/settings";
import { errorText, logEvent } from "../../platform/log";
import { roomStub } from "../../platform/room-stub";
import { participantOf } from "./room-participants";
import { signSessionToken, type UserClaims } from "../../domain/tokens";
import { usernameProblem } from "../../domain/usernames";
import { participations, type ChatBanRow, type ParticipationRow, type UserRow } from "../../platform/schema";
import { activeSessionUserQuery } from "../accounts/queries";
import { bearerClaims, liveSession } from "../accounts/auth";
import { activeBanQuery, activeBanCondition } from "../moderation/queries";
import { NO_ID, type RoomWithHost } from "./queries";
import {
  ANON_USERNAMES_PER_BLOCK,
  ANON_USERNAMES_PER_IP,
  anonLimitCounts,
  identityIs,
  participationByCodeQuery,
  reservedBy,
  reservedByOtherUserQuery,
  storedSubject,
  type AnonLimit,
  type Identity,
} from "./participation-queries";
import { decideJoin, isHostsName } from "./join-decision";
import { checkAccessCode, holdsSession } from "./access-code";
import { roomFromItself } from "./lookup";

export interface JoinInput {
  username: string;
  fingerprint?: string | undefined;
  access_code?: string | undefined;
}

/** What a join answers (docs/API.md), and the room it joined. */
export interface Joined {
  room: RoomWithHost;
  answer: { session_token: string; username: string; is_host: boolean; username_is_reserved: boolean; participation_id: string };
}

/** Why a new anonymous name was refused, as the caller should read it. */
function anonLimitError(limit: AnonLimit): ApiError {
  switch (limit) {
    case "address":
      return new ApiError(429, "IP_USERNAME_LIMIT", `Your network already has ${ANON_USERNAMES_PER_IP} anonymous usernames in this room; rejoin as one of them or log in.`);
    case "block":
      return new ApiError(429, "IP_USERNAME_LIMIT", `Your network block already has ${ANON_USERNAMES_PER_BLOCK} anonymous usernames in this room; rejoin as one of them or log in.`);
    case "room_rate":
      return new ApiError(429, "ANON_JOIN_RATE", "Too many people are joining this room anonymously right now; try again in a minute, or log in.", undefined, {
        "Retry-After": "60",
      });
  }
}

/** Who the caller is in this room: the account when a bearer token came (its verified claims), else the fingerprint. */
export function identityOf(claims: { userId: string } | null, fingerprint: string | undefined): Identity {
  if (claims) return { userId: claims.userId };
  if (!fingerprint) throw new ApiError(400, "IDENTITY_REQUIRED", "Send a `fingerprint` to join anonymously, or log in first.");
  return { fingerprint };
}

/**
 * Joins the caller to the room (or returns it to its participation) and mints its room session.
 * `alongside`: more queries for the same batch (the entry's first page), answered after the join's.
 */
export async function joinRoom<Extra extends readonly unknown[] = []>(
  c: Context<AppEnv>,
  code: string,
  body: JoinInput,
  alongside?: (db: HttpDb) => Extra,
): Promise<Joined & { extra: unknown[] }> {
  const ipKey = requireClientIp(c);
  const claims = await bearerClaims(c);
  const who = identityOf(claims, body.fingerprint);
  // Counted beside the batch; nothing the batch writes stands before it answered (see the end).
  const budget = rateLimitBeside(c, "join");
  const room = await roomFromItself(c.env, code);
  const db = c.var.db();
  if (room.accessMode === "private") {
    // Whoever already holds a session of the room (a token, or its account's participation) keeps its
    // way in while others guess: the room's budget of wrong codes is not theirs to spend.
    const member = (await holdsSession(c, room.code)) || (claims !== null && (await participationByCodeQuery(db, code, who)).length > 0);
    await checkAccessCode(c, room, body.access_code, { member });
  }
  const isHost = claims !== null && claims.userId === room.hostId;
  const batch = joinBatch(db, room, { claims, who, username: body.username, fingerprint: body.fingerprint ?? null, ipKey, isHost, anonPerMinute: settingsOf(c.env).ANON_JOINS_PER_ROOM_PER_MINUTE });
  const extraQueries = alongside?.(db) ?? ([] as unknown as Extra);
  const answers = (await db.batch([...batch.queries, ...extraQueries] as never)) as unknown[][];
  const read = batch.read(answers);
  const extra = answers.slice(batch.queries.length);
  const undo = (row: ParticipationRow) => c.executionCtx.waitUntil(db.delete(participations).where(eq(participations.id, row.id)).then(() => undefined));

  const auth = claims ? liveSession(claims, read.sessionUser) : null;
  const decision = decideJoin(
    { room, auth, participation: read.before, returningBan: read.returningBan, newBan: read.newBan, reservedByOther: read.reservedByOther },
    { username: body.username },
  );
  if (decision.kind !== "create" && read.inserted) {
    logEvent("join_rules_disagree", { room: room.code, decision: decision.kind });
    undo(read.inserted);
  }
  if (decision.kind === "refuse") throw decision.error;
  let p: ParticipationRow;
  if (decision.kind === "reuse") p = decision.participation;
  else if (read.inserted) p = read.inserted;
  else if (read.after) p = read.after; // the same person joined at the same moment: theirs won
  else if (read.anonLimit) throw anonLimitError(read.anonLimit);
  else throw usernameTaken("That username is taken in this room; pick another.");

  try {
    await budget.passed();
  } catch (refusal) {
    if (p === read.inserted) undo(p);
    throw refusal;
  }
  await tellRoom(c, room.code, read.after?.id === p.id ? read.after : p, p === read.inserted ? undo : null);
  if (p === read.inserted) logEvent("room_joined", { room: room.code, participation: p.id, anonymous: !auth });
  const sessionToken = await signSessionToken(
    {
      roomCode: room.code,
      roomId: room.id,
      participationId: p.id,
      userId: p.userId,
      username: p.username,
      isHost: decision.isHost,
      usernameIsReserved: p.usernameIsReserved,
      authSessionId: auth?.authSessionId ?? null,
    },
    c.env.JWT_SECRET,
  );
  return {
    room,
    extra,
    answer: { session_token: sessionToken, username: p.username, is_host: decision.isHost, username_is_reserved: p.usernameIsReserved, participation_id: p.id },
  };
}

/**
 * The room keeps a copy of its participations (room-participants.ts) and answers lookups from it:
 * it hears of this one before the join answers. A new participation it could not be told of is
 * taken back (undo), so the copy never lacks a participation Postgres has; a returning one only
 * misses its new last-seen time, which is logged.
 */
async function tellRoom(c: Context<AppEnv>, code: string, p: ParticipationRow, undo: ((row: ParticipationRow) => void) | null) {
  const room = roomStub(c.env, code);
  try {
    await room.participantJoined(participantOf(p));
  } catch (e) {
    logEvent("join_not_told", { room: code, participation: p.id, new: undo !== null, error: errorText(e) });
    if (!undo) return;
    undo(p);
    // The call may have reached the room before it failed.
    c.executionCtx.waitUntil(room.participantWithdrawn(p.id).catch(() => {}));
    throw new ApiError(500, "INTERNAL_ERROR", "The room could not record your join, so you did not join; try again.");
  }
}

interface JoinAsk {
  claims: UserClaims | null;
  who: Identity;
  username: string;
  fingerprint: string | null;
  ipKey: string;
  isHost: boolean;
  anonPerMinute: number;
}

/**
 * The join's one batch: the reads decideJoin takes, the returning participant's touch, and the
 * insert of a new participation under decideJoin's rules for "create" (as SQL), then what became of it.
 */
function joinBatch(db: HttpDb, room: RoomWithHost, ask: JoinAsk) {
  const { claims, who, ipKey } = ask;
  const userId = claims?.userId ?? null;
  // A name that breaks the rules never reaches a query (it may hold bytes Postgres refuses): "" matches nothing.
  const askedName = usernameProblem(ask.username) ? "" : ask.username;
  // The subject a ban may cover: the person as they come now…
  const asNow = { username: askedName, usernameIsReserved: reservedBy(userId, askedName), fingerprint: ask.fingerprint, ipAddress: ipKey, userId };
  // …and, for a returning participant, under the name it keeps here, and as it was stored.
  const stored = storedSubject(room.code, who);
  const again = { ...asNow, username: stored.username, usernameIsReserved: stored.usernameIsReserved };
  const roomId = sql`${room.id}`;
  const mine = sql`${participations.chatRoomId} = ${room.id} and ${identityIs(who)}`;
  const anon = userId === null;
  const limits = anonLimitCounts(room.id, ipKey, ask.anonPerMinute);
  // decideJoin's "create", as the insert's condition (what it decides from the reads, the insert
  // decides from the same rows in the same transaction).
  const rules: SQL[] = [];
  if (askedName === "" || (!ask.isHost && isHostsName(room, askedName))) rules.push(sql`false`);
  if (claims) {
    rules.push(sql`exists (${activeSessionUserQuery(db, claims.authSessionId, claims.userId)})`);
    rules.push(sql`(${reservedBy(userId, askedName)} or not exists (${reservedByOtherUserQuery(db, askedName, claims.userId)}))`);
  }
  if (!ask.isHost) rules.push(sql`not ${activeBanCondition(roomId, [asNow])}`);
  if (anon) rules.push(limits.allowed);
  const queries = [
    // Parallel anonymous joins of a room take turns, so none slips past the per-room counts.
    db.execute(anon ? sql`select pg_advisory_xact_lock(hashtext(${`anon-room:${room.id}`}))` : sql`select 1`),
    activeSessionUserQuery(db, claims?.authSessionId ?? NO_ID, userId ?? NO_ID),
    db.select().from(participations).where(mine),
    activeBanQuery(db, roomId, [again, stored]),
    activeBanQuery(db, roomId, [asNow]),
    reservedByOtherUserQuery(db, askedName, userId ?? NO_ID),
    db.update(participations).set({ lastSeenAt: new Date() }).where(mine),
    db.execute(sql`
      insert into ${participations} (chat_room_id, user_id, fingerprint, username, username_is_reserved, ip_address)
      select ${room.id}, ${userId}, ${ask.fingerprint}, ${askedName}, ${reservedBy(userId, askedName)}, ${ipKey}
      where ${sql.join(rules.length > 0 ? rules : [sql`true`], sql` and `)}
      on conflict do nothing
      returning id`),
    db.select().from(participations).where(mine),
    db.execute(anon ? limits.counts : sql`select 0 as address, 0 as block, 0 as recent`),
  ] as const;
  return {
    queries,
    read(answers: unknown[][]) {
      const [, sessionUsers, before, returningBans, newBans, reserved, , inserted, after, counts] = answers as [
        unknown,
        { user: UserRow }[],
        ParticipationRow[],
        ChatBanRow[],
        ChatBanRow[],
        unknown[],
        unknown,
        { rows: { id: string }[] },
        ParticipationRow[],
        { rows: { address: number; block: number; recent: number }[] },
      ];
      const insertedId = inserted.rows[0]?.id;
      const c = counts.rows[0] ?? { address: 0, block: 0, recent: 0 };
      const anonLimit: AnonLimit | null =
        !anon ? null : Number(c.address) >= ANON_USERNAMES_PER_IP ? "address" : Number(c.block) >= ANON_USERNAMES_PER_BLOCK ? "block" : Number(c.recent) >= ask.anonPerMinute ? "room_rate" : null;
      return {
        sessionUser: sessionUsers[0]?.user ?? null,
        before: before[0] ?? null,
        returningBan: returningBans[0] ?? null,
        newBan: newBans[0] ?? null,
        reservedByOther: reserved.length > 0,
        inserted: insertedId ? (after.find((p) => p.id === insertedId) ?? null) : null,
        after: after[0] ?? null,
        anonLimit,
      };
    },
  };
}
