// Chat rooms: create, details, join, my-participation, validate-username.
// Identity rules (ChatPop's dual sessions): an anonymous participation is keyed
// by fingerprint, a logged-in one by account; both may exist for one person in
// one room, and each keeps the username it first chose there.
import { documented, errorSchema } from "../../platform/http/openapi";
import { enterAnswer, fingerprintNameAnswer, joinAnswer, participationAnswer, rateLimitAnswer, roomSchema, suggestAnswer, validateAnswer } from "./schemas";
import { freeName } from "./suggestions";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { ApiError } from "../../platform/errors";
import { hashSecret } from "../../domain/passwords";
import { newRoomCode } from "../../domain/room-code";
import { describeUsernameProblem, newUsernameProblem, usernameKey } from "../../domain/usernames";
import { insertRoom, roomsHostedBy, type RoomWithHost } from "./queries";
import { settingsOf } from "../../platform/settings";
import { requireSession, sessionTokenOf } from "./session";
import { publicRoom, requireRoom, roomAndParticipant, roomFromItself } from "./lookup";
import { roomStub } from "../../platform/room-stub";
import { ACCESS_CODE_REFUSALS, checkAccessCode, holdsSession } from "./access-code";
import { activeSessionUserQuery } from "../accounts/queries";
import { ANON_USERNAMES_PER_BLOCK, ANON_USERNAMES_PER_IP, reservedByOtherUserQuery, type Identity } from "./participation-queries";
import { jsonBody, queryParams } from "../../platform/http/body";
import { requireClientIp } from "../../platform/http/client-ip";
import { checkRateLimit, countAfter } from "../../platform/http/rate-limit";
import { bearerClaims, liveSession, requireUser } from "../accounts/auth";
import type { UserClaims } from "../../domain/tokens";
import type { AppEnv } from "../../platform/http/context";
import { errorText, logEvent } from "../../platform/log";
import { createSchema, fingerprint, fingerprintNameBody, joinSchema, validateSchema } from "./schemas";
import { ACCESS_CODE_HEADER } from "../../protocol";
import { isHostsName, ownsReservedName } from "./join-decision";
import { identityOf, joinRoom } from "./join";
import { enterRoom } from "./enter";

// Refusals the document lists beside each route's answer (docs/API.md, Chat rooms).
const LOOKUP_BUDGET = { 429: { description: "RATE_LIMITED (Retry-After): the caller's address made too many lookups (RATE_LIMIT_LOOKUP)", schema: errorSchema } };
const PRIVATE_NAME_CHECK = "That username follows the rules; this room is private, so whether it is free is checked when you join with its access code.";

/**
 * The anonymous name a fingerprint holds in the room (the room's own answer; the address's lookup
 * budget is counted after it), or found: false; a private room answers only its insiders, anyone else gets a miss.
 */
async function nameOfFingerprint(c: Context<AppEnv>, code: string, fp: string) {
  countAfter(c, "lookup");
  const { room, facts } = await roomAndParticipant(c.env, code, { who: { fingerprint: fp } });
  const p = facts.participation;
  return p && (await isInsider(c, room)) ? { found: true, username: p.username } : { found: false, username: null };
}

/** The caller's login, when a bearer token came: whether it is live is Postgres' to say (one round trip), else null. */
function loginOf(c: Context<AppEnv>, claims: UserClaims | null) {
  return claims ? activeSessionUserQuery(c.var.db(), claims.authSessionId, claims.userId).then((rows) => liveSession(claims, rows[0]?.user ?? null)) : Promise.resolve(null);
}

/**
 * Whether the caller may learn who is who in the room: anyone in a public room; in a private one,
 * a session of the room (X-Session-Token) or its access code (X-Access-Code, which spends the
 * wrong-code budget). A fingerprint is computable by any site its owner visits: it proves nothing.
 */
async function isInsider(c: Context<AppEnv>, room: RoomWithHost): Promise<boolean> {
  if (room.accessMode !== "private") return true;
  if (await holdsSession(c, room.code)) return true;
  const code = c.req.header(ACCESS_CODE_HEADER);
  if (code === undefined) return false;
  await checkAccessCode(c, room, code);
  return true;
}




export const chatRoutes = new Hono<AppEnv>()
  .post(
    "/create",
    documented({
      summary: "Create a room (the caller hosts it)",
      tags: ["rooms"],
      auth: "bearer",
      answers: { 201: { description: "The room", schema: roomSchema } },
    }),
    jsonBody(createSchema),
    async (c) => {
      const { user } = await requireUser(c);
      const body = c.req.valid("json");
      const db = c.var.db();
      // Quota and rate first: a private room's access code costs a password hash.
      const quota = settingsOf(c.env).ROOMS_PER_ACCOUNT;
      const [hosted] = await Promise.all([roomsHostedBy(db, user.id), checkRateLimit(c, "create_room", { accountId: user.id })]);
      if (hosted >= quota) {
        throw new ApiError(409, "ROOM_QUOTA_REACHED", `An account can host at most ${quota} rooms.`, { max_rooms: quota });
      }
      const accessCodeHash = body.access_mode === "private" ? await hashSecret(body.access_code!) : null;
      // A code collision is rare; draw another code.
      for (let attempt = 0; ; attempt++) {
        const row = await insertRoom(db, {
          code: newRoomCode(),
          name: body.name,
          description: body.description,
          hostId: user.id,
          accessMode: body.access_mode,
          accessCodeHash,
        });
        if (row) {
          const room = { ...row, hostReservedUsername: user.reservedUsername };
          // The new room learns what it is from here, so it never asks Postgres (room-facts.ts); if it
          // cannot be told now, it reads its row at its first wake.
          await roomStub(c.env, row.code)
            .introduce(room)
            .catch((e) => logEvent("room_introduce_failed", { room: row.code, error: errorText(e) }));
          logEvent("room_created", { room: row.code, access_mode: row.accessMode });
          return c.json(publicRoom({ ...room, messageCount: 0 }, c.req.url), 201);
        }
        if (attempt >= 4) throw new Error("five room codes in a row were taken");
      }
    },
  )
  .get(
    "/:code",
    documented({
      summary: "A room",
      tags: ["rooms"],
      answers: { 200: { description: "The room (never its access code)", schema: roomSchema } },
    }),
    async (c) => c.json(publicRoom(await roomFromItself(c.env, c.req.param("code")), c.req.url)),
  )
  .post(
    "/:code/join",
    documented({
      summary: "Join a room: anonymous with a fingerprint, or logged in",
      tags: ["rooms"],
      auth: "optional bearer",
      answers: { 200: { description: "A room session token", schema: joinAnswer }, ...ACCESS_CODE_REFUSALS },
    }),
    jsonBody(joinSchema),
    async (c) => c.json((await joinRoom(c, c.req.param("code"), c.req.valid("json"))).answer),
  )
  .post(
    "/:code/enter",
    documented({
      summary: "Enter a room: join it and read it in one call (the room, a session, its newest page and pins)",
      tags: ["rooms"],
      auth: "optional bearer",
      description:
        "The same body, rules and refusals as `POST /join`; the answer is the join's with the room and the main room's newest page (as `GET /messages` with no cursor) beside it. A first screen in one request; connect the socket with `session_token` and `after_seq` = the page's last `seq`.",
      answers: { 200: { description: "The room, a room session and the newest page", schema: enterAnswer }, ...ACCESS_CODE_REFUSALS },
    }),
    jsonBody(joinSchema),
    async (c) => c.json(await enterRoom(c, c.req.param("code"), c.req.valid("json"))),
  )
  .get(
    "/:code/my-participation",
    documented({
      summary: "The caller's participation (by bearer when logged in, else by fingerprint)",
      tags: ["rooms"],
      auth: "optional bearer",
      description: "In a private room a fingerprint is answered only with a session of the room (X-Session-Token) or its access code (X-Access-Code); anyone else gets `{has_joined: false}`.",
      answers: { 200: { description: "The participation", schema: participationAnswer }, ...LOOKUP_BUDGET },
    }),
    queryParams(z.object({ fingerprint: fingerprint.optional() })),
    async (c) => {
      const q = c.req.valid("query");
      const code = c.req.param("code");
      const claims = await bearerClaims(c);
      const who = identityOf(claims, q.fingerprint);
      // The room answers who the caller is there (room-participants.ts); a login's liveness is
      // Postgres' (logged-in callers only); the address's lookup budget is counted after the answer.
      countAfter(c, "lookup");
      const [{ room, facts }] = await Promise.all([roomAndParticipant(c.env, code, { who }), loginOf(c, claims)]);
      const p = facts.participation;
      // An account asks for its own participation; a fingerprint is anyone's to send, so in a private
      // room only an insider learns what it holds.
      if (!p || (!claims && !(await isInsider(c, room)))) return c.json({ has_joined: false as const });
      const ban = p.userId === room.hostId ? null : facts.ban;
      const at = (ms: number) => new Date(ms).toISOString();
      return c.json({
        has_joined: true as const,
        first_joined_at: at(p.createdAt),
        participation_id: p.id,
        username: p.username,
        is_anonymous: p.userId === null,
        is_host: p.userId !== null && p.userId === room.hostId,
        username_is_reserved: p.usernameIsReserved,
        joined_at: at(p.createdAt),
        last_seen_at: at(p.lastSeenAt),
        ban: ban ? { reason: ban.reason || null, expires_at: ban.expiresAt === null ? null : at(ban.expiresAt) } : null,
      });
    },
  )
  .get(
    "/:code/check-rate-limit",
    documented({
      summary: "May the caller take a new anonymous name here (the per-address rule), or rejoin",
      tags: ["rooms"],
      auth: "optional bearer",
      description: "In a private room only an insider (X-Session-Token or X-Access-Code) gets the address's count and a fingerprint's name; anyone else gets the answer of a newcomer.",
      answers: { 200: { description: "Whether a join would be refused for the address's names", schema: rateLimitAnswer }, ...LOOKUP_BUDGET },
    }),
    queryParams(z.object({ fingerprint: fingerprint.optional() })),
    async (c) => {
      const q = c.req.valid("query");
      const code = c.req.param("code");
      const ipKey = requireClientIp(c);
      const claims = await bearerClaims(c);
      // The room counts its anonymous names by address (room-participants.ts); a login's liveness is
      // Postgres'; the address's lookup budget is counted after the answer.
      const ask = claims ? { who: { userId: claims.userId } } : { who: { fingerprint: q.fingerprint ?? "" }, ipKey };
      countAfter(c, "lookup");
      const [{ room, facts }] = await Promise.all([roomAndParticipant(c.env, code, ask), loginOf(c, claims)]);
      // Logged-in joins and returning visitors are not counted by the rule.
      if (claims) return c.json({ can_join: true, is_rate_limited: false });
      // A private room tells an outsider nothing of its names or its addresses' counts: the answer of
      // a newcomer from an address with no names (the join still checks the code and the rule).
      if (!(await isInsider(c, room))) {
        return c.json({ can_join: true, is_rate_limited: false, anonymous_count: 0, max_allowed: ANON_USERNAMES_PER_IP });
      }
      const mine = q.fingerprint ? facts.participation : null;
      if (mine) return c.json({ can_join: true, is_rate_limited: false, existing_username: mine.username });
      const { address, block } = facts.anonNames;
      const limited = address >= ANON_USERNAMES_PER_IP || block >= ANON_USERNAMES_PER_BLOCK;
      return c.json({ can_join: !limited, is_rate_limited: limited, anonymous_count: address, max_allowed: ANON_USERNAMES_PER_IP });
    },
  )
  .get(
    "/:code/fingerprint-username",
    documented({
      summary: "The name an anonymous visitor chats under here, by fingerprint",
      tags: ["rooms"],
      description: "In a private room only an insider (X-Session-Token or X-Access-Code) learns the name; anyone else gets `{found: false}`.",
      answers: { 200: { description: "Found, and the name", schema: fingerprintNameAnswer }, ...ACCESS_CODE_REFUSALS, ...LOOKUP_BUDGET },
    }),
    queryParams(z.object({ fingerprint })),
    async (c) => c.json(await nameOfFingerprint(c, c.req.param("code"), c.req.valid("query").fingerprint)),
  )
  .post(
    "/:code/fingerprint-username",
    documented({
      summary: "The same, for the original web client's save call (it writes nothing: joining stores the name)",
      tags: ["rooms"],
      answers: { 200: { description: "Found, and the name it keeps here", schema: fingerprintNameAnswer }, ...ACCESS_CODE_REFUSALS, ...LOOKUP_BUDGET },
    }),
    jsonBody(fingerprintNameBody),
    async (c) => c.json(await nameOfFingerprint(c, c.req.param("code"), c.req.valid("json").fingerprint)),
  )
  .post(
    "/:code/suggest-username",
    documented({
      summary: "A free username to chat under here, for whoever would rather not pick one",
      tags: ["rooms"],
      answers: { 200: { description: "A name free in this room, and how many more suggestions the address may ask for this hour", schema: suggestAnswer } },
    }),
    jsonBody(z.object({ fingerprint: fingerprint.optional() })),
    async (c) => {
      const code = c.req.param("code");
      const db = c.var.db();
      const [{ remaining }, room] = await Promise.all([checkRateLimit(c, "suggest_username"), requireRoom(db, code)]);
      const username = await freeName(db, room.code);
      return c.json({ username, remaining });
    },
  )
  .post(
    "/:code/validate-username",
    documented({
      summary: "Is a username available in this room, for the caller",
      tags: ["rooms"],
      auth: "optional bearer",
      answers: {
        200: { description: "Whether it is, and why not", schema: validateAnswer },
        ...ACCESS_CODE_REFUSALS,
        429: { description: "RATE_LIMITED (Retry-After): too many name checks from the caller's address or account, or too many wrong access codes", schema: errorSchema },
      },
    }),
    jsonBody(validateSchema),
    async (c) => {
      const body = c.req.valid("json");
      // A name oracle: counted per address and per account, as registration's name check is; counted
      // after the answer (countAfter), so a caller past the budget is refused before anything is read.
      const account = await bearerClaims(c);
      countAfter(c, "name_check", { accountId: account?.userId });
      const problem = newUsernameProblem(body.username);
      const name = problem ? "" : body.username; // a name that breaks the rules reaches no store ("" is nobody's)
      const who: Identity = account ? { userId: account.userId } : { fingerprint: body.fingerprint ?? "" };
      // The room answers for its participations and bans (room-participants.ts); a logged-in caller's
      // login and the accounts' reserved names are Postgres' (one round trip, beside the room's answer).
      const db = c.var.db();
      const accounts = account
        ? db.batch([activeSessionUserQuery(db, account.authSessionId, account.userId), reservedByOtherUserQuery(db, name, account.userId)])
        : null;
      accounts?.catch(() => {}); // awaited below unless the answer comes first
      const { room, facts } = await roomAndParticipant(c.env, c.req.param("code"), { who, username: name });
      // `username` and `message` are the original ChatPop's fields for the same answer.
      const answer = (reason?: string, message = "That username is available.") =>
        c.json(reason ? { available: false, reason, username: body.username, message: reason } : { available: true, username: body.username, message });
      // A private room says nothing about its names to whoever cannot get in (a session or the access
      // code): without either, only the rules are checked (the original web client asks before it
      // sends the code); a code that is given must be right.
      if (room.accessMode === "private") {
        const token = sessionTokenOf(c, body.session_token);
        if (token) await requireSession(c, room.code, token);
        else if (body.access_code === undefined || body.access_code === "") {
          return problem ? answer(describeUsernameProblem(problem)) : answer(undefined, PRIVATE_NAME_CHECK);
        } else await checkAccessCode(c, room, body.access_code);
      }
      const [sessionUsers, reserved] = accounts ? await accounts : [[], []];
      const auth = account ? liveSession(account, sessionUsers[0]?.user ?? null) : null; // a token given must be live
      if (problem) return answer(describeUsernameProblem(problem));
      const p = facts.participation;
      if (p) {
        return usernameKey(p.username) === usernameKey(name)
          ? answer()
          : answer(`You already joined this room as ${p.username}; that name stays yours here.`);
      }
      // Nobody but the host under the host's name; a logged-in caller not under another account's.
      const reservedElsewhere = isHostsName(room, name) ? auth?.user.id !== room.hostId : auth !== null && !ownsReservedName(auth, name) && reserved.length > 0;
      if (reservedElsewhere) return answer("That username is reserved by another account.");
      // A ban on the name does not reach the account that reserved it (its badge), as in the join.
      if (facts.nameBanned && !ownsReservedName(auth, name)) return answer("That username is banned in this room.");
      if (facts.nameHeld) return answer("That username is taken in this room.");
      return answer();
    },
  );
