// The paid back room: the host opens it with a price and a seat limit,
// participants buy a seat (POST …/backroom/join/, in payments.ts), and its
// messages (sent with `channel: "backroom"`) are for members and the host only.
import { Hono } from "hono";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { ApiError, notBackroomMember } from "../../platform/errors";
import { BACKROOM_MAX_PRICE_CENTS, BACKROOM_MAX_SEATS, BACKROOM_MIN_PRICE_CENTS, CURRENCY } from "../../domain/pricing";
import type { SessionClaims } from "../../domain/tokens";
import type { Db } from "../../platform/db";
import { loadRoom, type RoomWithHost } from "../rooms/queries";
import { chatRooms } from "../../platform/schema";
import { backroomSeatsTaken, hasBackroomSeat } from "../payments/queries";
import { jsonBody, queryParams } from "../../platform/http/body";
import type { AppEnv } from "../../platform/http/context";
import { requireHostSession, requireSession, sessionTokenOf } from "../../platform/http/session";
import { logEvent } from "../../platform/log";
import { historyAnswer, historyQuery } from "../messages/routes";

export const settingsBody = z
  .object({
    session_token: z.string().optional(),
    enabled: z.boolean({ error: "`enabled` must be true or false." }),
    price_cents: z
      .number({ error: "`price_cents` must be a whole number of cents." })
      .int({ error: "`price_cents` must be a whole number of cents." })
      .min(BACKROOM_MIN_PRICE_CENTS, { error: `The back room costs at least ${BACKROOM_MIN_PRICE_CENTS} cents.` })
      .max(BACKROOM_MAX_PRICE_CENTS, { error: `The back room costs at most ${BACKROOM_MAX_PRICE_CENTS} cents.` })
      .optional(),
    seat_limit: z
      .number({ error: "`seat_limit` must be a whole number." })
      .int({ error: "`seat_limit` must be a whole number." })
      .min(1, { error: "The back room needs at least one seat." })
      .max(BACKROOM_MAX_SEATS, { error: `The back room can have at most ${BACKROOM_MAX_SEATS} seats.` })
      .optional(),
  })
  .refine((b) => !b.enabled || (b.price_cents !== undefined && b.seat_limit !== undefined), {
    error: "Opening the back room needs `price_cents` and `seat_limit`.",
    path: ["price_cents"],
  });

const isMember = async (db: Db, roomId: string, claims: SessionClaims) =>
  claims.isHost || (await hasBackroomSeat(db, roomId, claims.participationId));

async function describe(db: Db, room: RoomWithHost, claims: SessionClaims | null) {
  const taken = await backroomSeatsTaken(db, room.id);
  return {
    enabled: room.backroomEnabled,
    price_cents: room.backroomPriceCents,
    currency: CURRENCY,
    seat_limit: room.backroomSeatLimit,
    seats_taken: taken,
    seats_left: room.backroomSeatLimit === null ? 0 : Math.max(0, room.backroomSeatLimit - taken),
    ...(claims ? { is_member: await isMember(db, room.id, claims) } : {}),
  };
}

export const backroomRoutes = new Hono<AppEnv>()
  .get("/:code/backroom", queryParams(z.object({ session_token: z.string().optional() })), async (c) => {
    const db = c.var.db();
    const room = await loadRoom(db, c.req.param("code"));
    const token = sessionTokenOf(c);
    const claims = token ? await requireSession(c, room.code, token) : null;
    return c.json({ backroom: await describe(db, room, claims) });
  })
  .post("/:code/backroom", jsonBody(settingsBody), async (c) => {
    const body = c.req.valid("json");
    const db = c.var.db();
    const room = await loadRoom(db, c.req.param("code"));
    await requireHostSession(c, room.code, sessionTokenOf(c, body.session_token));
    const [updated] = await db
      .update(chatRooms)
      .set({
        backroomEnabled: body.enabled,
        ...(body.price_cents !== undefined ? { backroomPriceCents: body.price_cents } : {}),
        ...(body.seat_limit !== undefined ? { backroomSeatLimit: body.seat_limit } : {}),
      })
      .where(eq(chatRooms.id, room.id))
      .returning();
    logEvent("backroom_settings", { room: room.code, enabled: body.enabled });
    return c.json({ backroom: await describe(db, { ...room, ...updated! }, null) });
  })
  .get("/:code/backroom/messages", queryParams(historyQuery), async (c) => {
    const q = c.req.valid("query");
    const db = c.var.db();
    const room = await loadRoom(db, c.req.param("code"));
    const claims = await requireSession(c, room.code, sessionTokenOf(c, q.session_token));
    if (!(await isMember(db, room.id, claims))) {
      throw notBackroomMember("The back room's messages are for its members; join the back room first.");
    }
    return c.json(await historyAnswer(db, room, q, "backroom"));
  });
