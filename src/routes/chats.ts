// Chat rooms: create, details, join, validate-username.
import { Hono, type Context } from "hono";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { ApiError } from "../errors";
import { hashSecret, verifySecret } from "../domain/passwords";
import { newRoomCode } from "../domain/room-code";
import { signSessionToken } from "../domain/tokens";
import { describeUsernameProblem, usernameKey, usernameProblem } from "../domain/usernames";
import { isUniqueViolation, pgErrorConstraint } from "../db/client";
import { loadRoom, publicRoom, type RoomWithHost } from "../db/rooms";
import { chatRooms, participations, type ParticipationRow } from "../db/schema";
import { jsonBody } from "../http/body";
import { optionalUser, requireUser, type Authenticated } from "../http/auth";
import type { AppEnv } from "../http/context";
import { logEvent } from "../log";

const createSchema = z
  .object({
    name: z.string({ error: "`name` must be a string." }).trim().min(1, { error: "The room needs a name." }).max(100, {
      error: "Room names can have at most 100 characters.",
    }),
    description: z
      .string({ error: "`description` must be a string." })
      .max(1000, { error: "Descriptions can have at most 1000 characters." })
      .optional()
      .default(""),
    access_mode: z.enum(["public", "private"], { error: '`access_mode` must be "public" or "private".' }).default("public"),
    access_code: z
      .string({ error: "`access_code` must be a string." })
      .min(4, { error: "Access codes need at least 4 characters." })
      .max(64, { error: "Access codes can have at most 64 characters." })
      .optional(),
  })
  .refine((b) => b.access_mode === "public" || b.access_code !== undefined, {
    error: "A private room needs an `access_code`.",
    path: ["access_code"],
  });

const fingerprint = z
  .string({ error: "`fingerprint` must be a string." })
  .min(1, { error: "`fingerprint` must not be empty." })
  .max(128, { error: "`fingerprint` can have at most 128 characters." });

const joinSchema = z.object({
  username: z.string({ error: "`username` must be a string." }),
  fingerprint: fingerprint.optional(),
  access_code: z.string({ error: "`access_code` must be a string." }).max(256).optional(),
});

const validateSchema = z.object({
  username: z.string({ error: "`username` must be a string." }),
  fingerprint: fingerprint.optional(),
});

function checkUsername(name: string) {
  const problem = usernameProblem(name);
  if (problem) throw new ApiError(400, "INVALID_USERNAME", describeUsernameProblem(problem), { reason: problem });
}

async function checkAccessCode(room: RoomWithHost, given: string | undefined) {
  if (room.accessMode !== "private") return;
  if (!given || !room.accessCodeHash || !(await verifySecret(given, room.accessCodeHash))) {
    throw new ApiError(403, "ACCESS_CODE_INVALID", "This room is private: the access code is missing or wrong.");
  }
}

/** The caller's existing participation: by account when logged in, otherwise by fingerprint. */
async function findParticipation(
  c: Context<AppEnv>,
  room: RoomWithHost,
  auth: Authenticated | null,
  fp: string | undefined,
): Promise<ParticipationRow | undefined> {
  const identity = auth
    ? eq(participations.userId, auth.user.id)
    : and(isNull(participations.userId), eq(participations.fingerprint, fp!));
  const [row] = await c.var.db().select().from(participations).where(and(eq(participations.chatRoomId, room.id), identity));
  return row;
}

export const chatRoutes = new Hono<AppEnv>()
  .post("/create", jsonBody(createSchema), async (c) => {
    const { user } = await requireUser(c);
    const body = c.req.valid("json");
    const accessCodeHash = body.access_mode === "private" ? await hashSecret(body.access_code!) : null;
    const db = c.var.db();
    for (let attempt = 0; ; attempt++) {
      try {
        const [row] = await db
          .insert(chatRooms)
          .values({
            code: newRoomCode(),
            name: body.name,
            description: body.description,
            hostId: user.id,
            accessMode: body.access_mode,
            accessCodeHash,
          })
          .returning();
        logEvent("room_created", { room: row!.code, access_mode: row!.accessMode });
        return c.json(publicRoom({ ...row!, hostReservedUsername: user.reservedUsername }, c.req.url), 201);
      } catch (e) {
        // A code collision is rare; draw another code.
        if (!isUniqueViolation(e) || pgErrorConstraint(e) !== "chat_rooms_code_key" || attempt >= 4) throw e;
      }
    }
  })
  .get("/:code", async (c) => {
    const room = await loadRoom(c.var.db(), c.req.param("code"));
    return c.json(publicRoom(room, c.req.url));
  })
  .post("/:code/join", jsonBody(joinSchema), async (c) => {
    const body = c.req.valid("json");
    const db = c.var.db();
    const room = await loadRoom(db, c.req.param("code"));
    const auth = await optionalUser(c);
    if (!auth && !body.fingerprint) {
      throw new ApiError(400, "IDENTITY_REQUIRED", "Send a `fingerprint` to join anonymously, or log in first.");
    }
    await checkAccessCode(room, body.access_code);
    let participation = await findParticipation(c, room, auth, body.fingerprint);
    if (!participation) {
      checkUsername(body.username);
      try {
        [participation] = await db
          .insert(participations)
          .values({
            chatRoomId: room.id,
            userId: auth?.user.id ?? null,
            fingerprint: body.fingerprint ?? null,
            username: body.username,
            ipAddress: c.req.header("CF-Connecting-IP") ?? null,
          })
          .returning();
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        // Either the name is taken, or a concurrent join of the same person won the race.
        participation = await findParticipation(c, room, auth, body.fingerprint);
        if (!participation) throw new ApiError(409, "USERNAME_TAKEN", "That username is taken in this room; pick another.");
      }
      logEvent("room_joined", { room: room.code, participation: participation!.id, anonymous: !auth });
    } else {
      // A returning participant keeps the username it first chose in this room.
      await db.update(participations).set({ lastSeenAt: new Date() }).where(eq(participations.id, participation.id));
    }
    const p = participation!;
    const isHost = auth !== null && auth.user.id === room.hostId;
    const reserved = auth !== null && usernameKey(p.username) === usernameKey(auth.user.reservedUsername);
    const sessionToken = await signSessionToken(
      {
        roomCode: room.code,
        roomId: room.id,
        participationId: p.id,
        userId: auth?.user.id ?? null,
        username: p.username,
        isHost,
        usernameIsReserved: reserved,
      },
      c.env.JWT_SECRET,
    );
    return c.json({
      session_token: sessionToken,
      username: p.username,
      is_host: isHost,
      username_is_reserved: reserved,
      participation_id: p.id,
    });
  })
  .post("/:code/validate-username", jsonBody(validateSchema), async (c) => {
    const body = c.req.valid("json");
    const db = c.var.db();
    const room = await loadRoom(db, c.req.param("code"));
    const problem = usernameProblem(body.username);
    if (problem) return c.json({ available: false, reason: describeUsernameProblem(problem) });
    const [taken] = await db
      .select({ id: participations.id })
      .from(participations)
      .where(
        and(
          eq(participations.chatRoomId, room.id),
          isNull(participations.userId),
          eq(sql`lower(${participations.username})`, usernameKey(body.username)),
          body.fingerprint ? ne(participations.fingerprint, body.fingerprint) : undefined,
        ),
      );
    return c.json(taken ? { available: false, reason: "That username is taken in this room." } : { available: true });
  });
