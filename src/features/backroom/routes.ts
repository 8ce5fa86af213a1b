// The paid back room: the host opens it with a price and a seat limit,
// participants buy a seat (POST …/backroom/join/, in payments.ts), and its
// messages (sent with `channel: "backroom"`) are for members and the host only.
import { documented } from "../../platform/http/openapi";
import { backroomAnswer } from "./schemas";
import { historyPageSchema } from "../messages/schemas";
import { Hono } from "hono";
import { z } from "zod";
import { CURRENCY } from "../../domain/pricing";
import type { SessionClaims } from "../../domain/tokens";
import type { Db } from "../../platform/db";
import { ACCESS_CODE_HEADER, checkAccessCode, requireRoom } from "../rooms/lookup";
import type { RoomWithHost } from "../rooms/queries";
import { backroomSeatsTaken, isBackroomMember, updateBackroomSettings } from "./queries";
import { jsonBody, queryParams } from "../../platform/http/body";
import type { AppEnv } from "../../platform/http/context";
import { requireHostSession, requireReader, sessionTokenOf, verifiedSession } from "../rooms/session";
import { logEvent } from "../../platform/log";
import { historyAnswer } from "../messages/history";
import { historyQuery } from "../messages/schemas";
import { settingsBody } from "./schemas";

async function describe(db: Db, room: RoomWithHost, claims: SessionClaims | null) {
  const taken = await backroomSeatsTaken(db, room.id);
  return {
    enabled: room.backroomEnabled,
    price_cents: room.backroomPriceCents,
    currency: CURRENCY,
    seat_limit: room.backroomSeatLimit,
    seats_taken: taken,
    seats_left: room.backroomSeatLimit === null ? 0 : Math.max(0, room.backroomSeatLimit - taken),
    ...(claims ? { is_member: await isBackroomMember(db, room.id, claims) } : {}),
  };
}

export const backroomRoutes = new Hono<AppEnv>()
  .get(
    "/:code/backroom",
    documented({
      summary: "The back room's price and seats",
      description: "A private room's back room needs a room session (X-Session-Token) or the room's access code in the `X-Access-Code` header.",
      tags: ["backroom"],
      answers: { 200: { description: "The back room", schema: backroomAnswer } },
    }),
    queryParams(z.object({ session_token: z.string().optional() })),
    async (c) => {
      const db = c.var.db();
      const room = await requireRoom(db, c.req.param("code"));
      const token = sessionTokenOf(c);
      // A private room's back room is for those who may be in the room: a session, or the access code.
      const claims = token ? await requireReader(c, room.code, token) : null;
      if (!claims) await checkAccessCode(room, c.req.header(ACCESS_CODE_HEADER));
      return c.json({ backroom: await describe(db, room, claims) });
    },
  )
  .post(
    "/:code/backroom",
    documented({
      summary: "Open, close or price the back room (host)",
      tags: ["backroom"],
      auth: "host session",
      answers: { 200: { description: "The back room", schema: backroomAnswer } },
    }),
    jsonBody(settingsBody),
    async (c) => {
      const body = c.req.valid("json");
      const db = c.var.db();
      const room = await requireRoom(db, c.req.param("code"));
      await requireHostSession(c, room.code, sessionTokenOf(c, body.session_token));
      const updated = await updateBackroomSettings(db, room.id, {
        enabled: body.enabled,
        priceCents: body.price_cents,
        seatLimit: body.seat_limit,
      });
      logEvent("backroom_settings", { room: room.code, enabled: body.enabled });
      return c.json({ backroom: await describe(db, { ...room, ...updated! }, null) });
    },
  )
  .get(
    "/:code/backroom/messages",
    documented({
      summary: "Back-room history (members and the host)",
      tags: ["backroom"],
      auth: "session",
      answers: { 200: { description: "One page", schema: historyPageSchema } },
    }),
    queryParams(historyQuery),
    async (c) => {
      const q = c.req.valid("query");
      const code = c.req.param("code");
      const reader = await verifiedSession(c, code, sessionTokenOf(c, q.session_token));
      return c.json(await historyAnswer(c.var.db(), code, q, "backroom", reader));
    },
  );
