// Host powers over who may stay: ban, list bans, unban. A ban is stored in
// Postgres first, then the room's Durable Object applies it at once (kicking
// open sockets); an unban is lifted the same way.
import { documented } from "../../platform/http/openapi";
import { banAnswer, bansAnswer, unbanAnswer } from "./schemas";
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, invalidUsername } from "../../platform/errors";
import { clientIpKey } from "../../domain/client-ip";
import { usernameKey, usernameProblem } from "../../domain/usernames";
import { insertBanUnlessItCovers, listBans, revokeBan } from "./queries";
import { banDetailsOf } from "./room-bans";
import { requireRoom } from "../rooms/lookup";
import { type ChatBanRow } from "../../platform/schema";
import { jsonBody, queryParams } from "../../platform/http/body";
import type { AppEnv } from "../../platform/http/context";
import { requireHostSession, sessionTokenOf } from "../rooms/session";
import { errorText, logEvent } from "../../platform/log";
import { banBody, tokenQuery } from "./schemas";
import { roomStub } from "../../platform/room-stub";

const banIdParam = z.uuid();

function publicBan(b: ChatBanRow) {
  const now = Date.now();
  return {
    id: b.id,
    username: b.username,
    fingerprint: b.fingerprint,
    ip_address: b.ipAddress,
    user_id: b.userId,
    reason: b.reason,
    created_at: b.createdAt.toISOString(),
    expires_at: b.expiresAt?.toISOString() ?? null,
    revoked_at: b.revokedAt?.toISOString() ?? null,
    active: b.revokedAt === null && (b.expiresAt === null || b.expiresAt.getTime() > now),
  };
}

const cannotBanHost = () => new ApiError(400, "CANNOT_BAN_HOST", "The host cannot be banned from their own room.");

export const banRoutes = new Hono<AppEnv>()
  .post(
    "/:code/bans",
    documented({
      summary: "Ban by username, fingerprint, address and/or account (host)",
      tags: ["moderation"],
      auth: "host session",
      answers: { 201: { description: "The ban, and whom it removed", schema: banAnswer } },
    }),
    jsonBody(banBody),
    async (c) => {
      const body = c.req.valid("json");
      const code = c.req.param("code");
      const db = c.var.db();
      const room = await requireRoom(db, code);
      await requireHostSession(c, room.code, sessionTokenOf(c, body.session_token));

      if (!body.username && !body.fingerprint && !body.ip_address && !body.user_id) {
        throw new ApiError(400, "BAN_TARGET_REQUIRED", "Name who to ban: `username`, `fingerprint`, `ip_address` and/or `user_id`.");
      }
      const problem = body.username === undefined ? null : usernameProblem(body.username);
      if (problem) throw invalidUsername(problem);
      const ipKey = body.ip_address === undefined ? null : clientIpKey(body.ip_address);
      if (body.ip_address !== undefined && !ipKey) {
        throw new ApiError(400, "INVALID_IP_ADDRESS", "`ip_address` must be an IPv4 or IPv6 address.");
      }
      // The host's verified name would not be covered anyway (see db/bans.ts), but asking is a mistake worth saying.
      const hostsName = body.username !== undefined && room.hostReservedUsername !== null && usernameKey(body.username) === usernameKey(room.hostReservedUsername);
      if (body.user_id === room.hostId || hostsName) throw cannotBanHost();

      const stored = await insertBanUnlessItCovers(
        db,
        {
          chatRoomId: room.id,
          username: body.username ?? null,
          fingerprint: body.fingerprint ?? null,
          ipAddress: ipKey,
          userId: body.user_id ?? null,
          reason: body.reason ?? "",
          expiresAt: body.duration_seconds ? new Date(Date.now() + body.duration_seconds * 1000) : null,
        },
        room.hostId,
      );
      if (!stored) throw cannotBanHost();
      const { ban, covered } = stored;

      const names = [...new Set(covered.map((p) => p.username))];
      let kicked: number;
      try {
        ({ kicked } = await roomStub(c.env, room.code).enforceBan({
          banId: ban.id,
          expiresAt: ban.expiresAt?.getTime() ?? null,
          ...banDetailsOf(ban),
          participationIds: covered.map((p) => p.id),
          announcement:
            body.announce && names.length > 0 ? `${names.join(", ")} ${names.length === 1 ? "was" : "were"} removed from the room.` : null,
        }));
      } catch (e) {
        // The room keeps its own ban index and reads Postgres' only once: a ban it was not told of
        // would never apply there. So it is taken back, and the host asked to ban again.
        await revokeBan(db, room.id, ban.id);
        logEvent("ban_not_enforced", { room: room.code, ban: ban.id, error: errorText(e) });
        throw new ApiError(500, "INTERNAL_ERROR", "The room could not be told of the ban, so nothing was banned; try again.");
      }
      logEvent("ban_created", { room: room.code, ban: ban.id, participations: covered.length, kicked });
      return c.json({ ban: publicBan(ban), participations_covered: covered.length, sockets_closed: kicked }, 201);
    },
  )
  .get(
    "/:code/bans",
    documented({
      summary: "The room's bans (host)",
      tags: ["moderation"],
      auth: "host session",
      answers: { 200: { description: "Every ban, active or not", schema: bansAnswer } },
    }),
    queryParams(tokenQuery),
    async (c) => {
      const db = c.var.db();
      const room = await requireRoom(db, c.req.param("code"));
      await requireHostSession(c, room.code, sessionTokenOf(c));
      const bans = await listBans(db, room.id);
      return c.json({ bans: bans.map(publicBan) });
    },
  )
  .post(
    "/:code/bans/:banId/unban",
    documented({
      summary: "Lift a ban (host)",
      tags: ["moderation"],
      auth: "host session",
      answers: { 200: { description: "The lifted ban", schema: unbanAnswer } },
    }),
    jsonBody(z.object({ session_token: z.string().optional() })),
    async (c) => {
      const body = c.req.valid("json");
      const db = c.var.db();
      const room = await requireRoom(db, c.req.param("code"));
      await requireHostSession(c, room.code, sessionTokenOf(c, body.session_token));
      const banId = c.req.param("banId");
      const notFound = new ApiError(404, "BAN_NOT_FOUND", "This room has no active ban with that id.");
      if (!banIdParam.safeParse(banId).success) throw notFound;
      // The room first: if Postgres then fails, the host's retry finds the ban still active and lifts it again.
      await roomStub(c.env, room.code).liftBan(banId);
      const ban = await revokeBan(db, room.id, banId);
      if (!ban) throw notFound;
      logEvent("ban_revoked", { room: room.code, ban: ban.id });
      return c.json({ ban: publicBan(ban) });
    },
  );
