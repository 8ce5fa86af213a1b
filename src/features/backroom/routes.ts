// The paid back room: the host opens it with a price and a seat limit,
// participants buy a seat (POST …/backroom/join/, in payments.ts), and its
// messages (sent with `channel: "backroom"`) are for members and the host only.
import { documented } from "../../platform/http/openapi";
import { backroomAnswer, membersAnswer } from "./schemas";
import { historyPageSchema } from "../messages/schemas";
import { Hono } from "hono";
import { z } from "zod";
import { CURRENCY } from "../../domain/pricing";
import type { SessionClaims } from "../../domain/tokens";
import type { Db } from "../../platform/db";
import { requireRoom } from "../rooms/lookup";
import { roomStub } from "../../platform/room-stub";
import { ACCESS_CODE_REFUSALS, checkAccessCode } from "../rooms/access-code";
import type { RoomWithHost } from "../rooms/queries";
import { backroomMembersOf, backroomSeatsTaken, isBackroomMember, updateBackroomSettings } from "./queries";
import { dollars } from "../../domain/message";
import { notBackroomMember } from "../../platform/errors";
import { jsonBody, queryParams } from "../../platform/http/body";
import type { AppEnv } from "../../platform/http/context";
import { requireHostSession, requireReader, sessionTokenOf, verifiedSession } from "../rooms/session";
import { logEvent } from "../../platform/log";
import { historyAnswer } from "../messages/history";
import { historyQuery } from "../messages/schemas";
import { settingsBody } from "./schemas";
import { ACCESS_CODE_HEADER } from "../../protocol";

/** The back room: `backroom` as this API describes it, beside the original ChatPop's fields for the same facts. */
async function describe(db: Db, room: RoomWithHost, claims: SessionClaims | null) {
  const taken = await backroomSeatsTaken(db, room.id);
  const left = room.backroomSeatLimit === null ? 0 : Math.max(0, room.backroomSeatLimit - taken);
  return {
    backroom: {
      enabled: room.backroomEnabled,
      price_cents: room.backroomPriceCents,
      currency: CURRENCY,
      seat_limit: room.backroomSeatLimit,
      seats_taken: taken,
      seats_left: left,
      ...(claims ? { is_member: await isBackroomMember(db, room.id, claims) } : {}),
    },
    // The back room is part of its room here: it has the room's id.
    id: room.id,
    chat_room: room.id,
    price_per_seat: dollars(room.backroomPriceCents ?? 0),
    max_seats: room.backroomSeatLimit ?? 0,
    seats_occupied: taken,
    seats_available: left,
    is_full: left === 0,
    is_active: room.backroomEnabled,
    created_at: room.createdAt.toISOString(),
  };
}

export const backroomRoutes = new Hono<AppEnv>()
  .get(
    "/:code/backroom",
    documented({
      summary: "The back room's price and seats",
      description: "A private room's back room needs a room session (X-Session-Token) or the room's access code in the `X-Access-Code` header.",
      tags: ["backroom"],
      answers: {
        200: { description: "The back room", schema: backroomAnswer },
        ...ACCESS_CODE_REFUSALS,
      },
    }),
    queryParams(z.object({ session_token: z.string().optional() })),
    async (c) => {
      const db = c.var.db();
      const room = await requireRoom(db, c.req.param("code"));
      const token = sessionTokenOf(c);
      // A private room's back room is for those who may be in the room: a session, or the access code.
      const claims = token ? await requireReader(c, room.code, token) : null;
      if (!claims) await checkAccessCode(c, room, c.req.header(ACCESS_CODE_HEADER));
      return c.json(await describe(db, room, claims));
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
      // The room answers room details from its own copy of the row (room-facts.ts).
      await roomStub(c.env, room.code).roomChanged(updated!);
      logEvent("backroom_settings", { room: room.code, enabled: body.enabled });
      return c.json(await describe(db, { ...room, ...updated! }, null));
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
  )
  .get(
    "/:code/backroom/members",
    documented({
      summary: "Who holds a back-room seat (members and the host)",
      tags: ["backroom"],
      auth: "session",
      answers: { 200: { description: "The members, earliest seat first", schema: membersAnswer } },
    }),
    queryParams(z.object({ session_token: z.string().optional() })),
    async (c) => {
      const db = c.var.db();
      const room = await requireRoom(db, c.req.param("code"));
      const claims = await requireReader(c, room.code, sessionTokenOf(c));
      if (!(await isBackroomMember(db, room.id, claims))) {
        throw notBackroomMember("The back room's members are shown to its members; join the back room first.");
      }
      const members = await backroomMembersOf(db, room.id);
      return c.json(
        members.map((m) => ({
          id: m.id,
          username: m.username,
          username_is_reserved: m.usernameIsReserved,
          amount_paid: m.amountCents === null ? null : dollars(m.amountCents),
          joined_at: m.joinedAt.toISOString(),
          is_active: true,
        })),
      );
    },
  );
