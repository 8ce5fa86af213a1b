// Accounts: register, login, me, logout.
import { documented } from "../../platform/http/openapi";
import { accountExportAnswer, checkUsernameAnswer, deleteAccountAnswer, deleteAccountSchema, meAnswer, tokenAnswer } from "./schemas";
import { accountFootprint, eraseAccount } from "./deletion";
import { accountExport } from "./export";
import { Hono } from "hono";
import { ApiError, invalidUsername, usernameTaken } from "../../platform/errors";
import { DECOY_HASH, hashSecret, verifySecret } from "../../domain/passwords";
import { SESSION_TOKEN_TTL_SECONDS, USER_TOKEN_TTL_SECONDS, signUserToken } from "../../domain/tokens";
import { describeUsernameProblem, newUsernameProblem } from "../../domain/usernames";
import { describePasswordProblem, passwordProblem } from "../../domain/password-rules";
import { type Db } from "../../platform/db";
import { type UserRow } from "../../platform/schema";
import { jsonBody, queryParams } from "../../platform/http/body";
import { reservedByOtherUser, roomsJoinedSinceQuery } from "../rooms/participation-queries";
import { inBatches, roomStub } from "../../platform/room-stub";
import { NO_ID } from "../rooms/queries";
import { publicUser, requireUser } from "./auth";
import type { AppEnv } from "../../platform/http/context";
import { checkRateLimit, rateLimit } from "../../platform/http/rate-limit";
import { freeName } from "../rooms/suggestions";
import { suggestAnswer } from "../rooms/schemas";
import { errorText, logEvent } from "../../platform/log";
import { checkUsernameQuery, loginSchema, registerSchema } from "./schemas";
import { findUserByEmail, insertUser, openAuthSession, revokeAuthSessionQuery } from "./queries";

async function issueToken(db: Db, user: UserRow, secret: string) {
  const expiresAt = new Date(Date.now() + USER_TOKEN_TTL_SECONDS * 1000);
  const authSessionId = await openAuthSession(db, user.id, expiresAt);
  return signUserToken({ userId: user.id, authSessionId }, secret);
}

export const authRoutes = new Hono<AppEnv>()
  .post(
    "/register",
    documented({
      summary: "Create an account",
      tags: ["accounts"],
      answers: { 201: { description: "The account and a bearer token", schema: tokenAnswer } },
    }),
    rateLimit("register"),
    jsonBody(registerSchema),
    async (c) => {
      const body = c.req.valid("json");
      const problem = body.reserved_username === null ? null : newUsernameProblem(body.reserved_username);
      if (problem) throw invalidUsername(problem);
      const weak = passwordProblem(body.password);
      if (weak) throw new ApiError(400, "WEAK_PASSWORD", describePasswordProblem(weak), { reason: weak });
      const db = c.var.db();
      const user = await insertUser(db, {
        email: body.email,
        passwordHash: await hashSecret(body.password),
        reservedUsername: body.reserved_username,
      });
      if (user === "email_taken") throw new ApiError(409, "EMAIL_TAKEN", "An account with this email already exists; log in instead.");
      if (user === "username_taken") throw usernameTaken("That username is already reserved by another account.");
      const token = await issueToken(db, user, c.env.JWT_SECRET);
      logEvent("user_registered", { user_id: user.id });
      return c.json({ user: publicUser(user), token }, 201);
    },
  )
  .post(
    "/login",
    documented({
      summary: "Log in",
      tags: ["accounts"],
      answers: { 200: { description: "The account and a bearer token", schema: tokenAnswer } },
    }),
    rateLimit("login"),
    jsonBody(loginSchema),
    async (c) => {
      const body = c.req.valid("json");
      const db = c.var.db();
      const user = await findUserByEmail(db, body.email);
      // Hash even when no account matches, so timing does not reveal which emails exist.
      const ok = await verifySecret(body.password, user?.passwordHash ?? DECOY_HASH);
      if (!user || !ok) throw new ApiError(401, "INVALID_CREDENTIALS", "Wrong email or password.");
      const token = await issueToken(db, user, c.env.JWT_SECRET);
      logEvent("user_logged_in", { user_id: user.id });
      return c.json({ user: publicUser(user), token });
    },
  )
  .get(
    "/me",
    documented({
      summary: "The logged-in account",
      tags: ["accounts"],
      auth: "bearer",
      answers: { 200: { description: "The account", schema: meAnswer } },
    }),
    async (c) => {
      const { user } = await requireUser(c);
      return c.json(publicUser(user));
    },
  )
  .post(
    "/suggest-username",
    documented({
      summary: "A free username to reserve (registration's suggestion)",
      tags: ["accounts"],
      answers: { 200: { description: "A name no account holds", schema: suggestAnswer } },
    }),
    async (c) => {
      const [{ remaining }, username] = await Promise.all([checkRateLimit(c, "suggest_username"), freeName(c.var.db(), null)]);
      return c.json({ username, remaining });
    },
  )
  .get(
    "/check-username",
    documented({
      summary: "Is a username free to reserve (registration's live check)",
      tags: ["accounts"],
      answers: { 200: { description: "Whether it is, as a sentence too", schema: checkUsernameAnswer } },
    }),
    rateLimit("name_check"),
    queryParams(checkUsernameQuery),
    async (c) => {
      const { username } = c.req.valid("query");
      const problem = newUsernameProblem(username);
      if (problem) return c.json({ available: false, message: describeUsernameProblem(problem), reason: problem });
      // Taken means another account holds it or a look-alike of it (what register would refuse).
      const taken = await reservedByOtherUser(c.var.db(), username, NO_ID);
      return c.json({ available: !taken, message: taken ? "That username is already taken." : "That username is available." });
    },
  )
  .post(
    "/logout",
    documented({
      summary: "Log out: revoke this token",
      tags: ["accounts"],
      auth: "bearer",
      description: "Room sessions minted under this login end with it: REST refuses them, and every socket they opened is closed (an error frame SESSION_ENDED, then close code 4003).",
      answers: { 204: { description: "The token is no longer accepted" } },
    }),
    async (c) => {
      const { user, authSessionId } = await requireUser(c);
      const db = c.var.db();
      // The login's room sessions can only be in rooms it joined while they last (a join mints them):
      // the revoke and that read in one round trip.
      const since = new Date(Date.now() - SESSION_TOKEN_TTL_SECONDS * 1000);
      const [, joined] = await db.batch([revokeAuthSessionQuery(db, authSessionId), roomsJoinedSinceQuery(db, user.id, since)]);
      const rooms = joined.map((r) => r.code);
      const closed = await Promise.all(
        rooms.map((code) =>
          roomStub(c.env, code)
            .endLogin(authSessionId)
            .catch((e) => {
              logEvent("logout_sockets_failed", { room: code, error: errorText(e) });
              return 0;
            }),
        ),
      );
      logEvent("user_logged_out", { user_id: user.id, rooms: rooms.length, sockets_closed: closed.reduce((a, b) => a + b, 0) });
      return c.body(null, 204);
    },
  )
  .delete(
    "/me",
    documented({
      summary: "Delete the account (password again)",
      tags: ["accounts"],
      auth: "bearer",
      description:
        "Removes the person: the email, password and reserved name; every login (its sockets close with SESSION_ENDED, 4003); the fingerprint and address of each participation. " +
        "Messages stay in their rooms under the participation's anonymous name (`deleted_` and 8 characters) with no account id, in history, the rooms and the Redis windows. " +
        "Payments keep their amounts and states without the person. Rooms the account hosts stay open and no longer name it.",
      answers: {
        200: { description: "Deleted", schema: deleteAccountAnswer },
        403: { description: "INVALID_CREDENTIALS: the password is wrong; nothing changed" },
        503: { description: "ACCOUNT_DELETION_INCOMPLETE: a room could not be reached; the account is unchanged, try again" },
      },
    }),
    jsonBody(deleteAccountSchema),
    async (c) => {
      const { user } = await requireUser(c);
      await checkRateLimit(c, "account_data", { accountId: user.id });
      if (!(await verifySecret(c.req.valid("json").password, user.passwordHash))) {
        throw new ApiError(403, "INVALID_CREDENTIALS", "The password is wrong; nothing was deleted.");
      }
      const db = c.var.db();
      const footprint = await accountFootprint(db, user.id);
      // Every room first: while one cannot be reached the account stays as it is, so its owner can try again.
      const outcomes = await inBatches(footprint.rooms, (room) =>
        roomStub(c.env, room.code).forgetAccount({ participationIds: room.participationIds, hosted: room.hosted, authSessionIds: footprint.authSessionIds }),
      );
      let sockets = 0;
      let failed = 0;
      for (const o of outcomes) {
        if (o.status === "fulfilled" && o.value.ok) sockets += o.value.value.sockets_closed;
        else failed++;
      }
      if (failed > 0) {
        logEvent("account_deletion_incomplete", { user_id: user.id, rooms_failed: failed, rooms: footprint.rooms.length });
        throw new ApiError(
          503,
          "ACCOUNT_DELETION_INCOMPLETE",
          `${failed} of the account's ${footprint.rooms.length} rooms could not be updated just now; the account itself is unchanged. Try again in a minute.`,
        );
      }
      await eraseAccount(db, user.id);
      logEvent("account_deleted", { user_id: user.id, rooms: footprint.rooms.length, sockets_closed: sockets });
      return c.json({ deleted: true as const, rooms_updated: footprint.rooms.length, sockets_closed: sockets });
    },
  )
  .get(
    "/me/export",
    documented({
      summary: "Everything stored about the account, as JSON",
      tags: ["accounts"],
      auth: "bearer",
      answers: { 200: { description: "The account's data", schema: accountExportAnswer } },
    }),
    async (c) => {
      const { user } = await requireUser(c);
      await checkRateLimit(c, "account_data", { accountId: user.id });
      const data = await accountExport(c.var.db(), user);
      logEvent("account_exported", { user_id: user.id, messages: data.messages.length });
      c.header("Content-Disposition", `attachment; filename="chatpop-account-${user.id}.json"`);
      c.header("Cache-Control", "no-store");
      return c.json(data);
    },
  );
