// Message history (PostgreSQL only) and the REST send, which goes through the
// room's Durable Object exactly like a WebSocket send.
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../errors";
import { decodeCursor, encodeCursor } from "../domain/cursor";
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from "../domain/limits";
import { activePins, historyPage } from "../db/messages";
import { loadRoom } from "../db/rooms";
import { jsonBody, queryParams } from "../http/body";
import type { AppEnv } from "../http/context";
import { requireSession } from "../http/session";
import { checkContent, sendFields } from "../room/protocol";

const historyQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { error: `\`limit\` must be a whole number from 1 to ${HISTORY_MAX_LIMIT}.` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= HISTORY_MAX_LIMIT, {
      error: `\`limit\` must be a whole number from 1 to ${HISTORY_MAX_LIMIT}.`,
    })
    .optional(),
  before: z.string().max(64).optional(),
  session_token: z.string().optional(),
});

const sendBody = z.object({ ...sendFields, session_token: z.string({ error: "`session_token` must be a string." }).optional() });

export const messageRoutes = new Hono<AppEnv>()
  .get("/:code/messages", queryParams(historyQuery), async (c) => {
    const q = c.req.valid("query");
    const db = c.var.db();
    const room = await loadRoom(db, c.req.param("code"));
    if (room.accessMode === "private") {
      await requireSession(c, room.code, q.session_token ?? c.req.header("X-Session-Token"));
    }
    let beforeSeq: number | null = null;
    if (q.before !== undefined && q.before !== "") {
      beforeSeq = decodeCursor(q.before);
      if (beforeSeq === null) {
        throw new ApiError(400, "INVALID_CURSOR", "`before` must be a `next_before` value from an earlier page.");
      }
    }
    const limit = q.limit ?? HISTORY_DEFAULT_LIMIT;
    const [page, pinned] = await Promise.all([historyPage(db, room, { limit, beforeSeq }), activePins(db, room)]);
    const oldest = page.messages[0];
    return c.json({
      messages: page.messages,
      pinned_messages: pinned,
      has_more: page.hasMore,
      next_before: page.hasMore && oldest ? encodeCursor(oldest.seq) : null,
      count: page.messages.length,
    });
  })
  .post("/:code/messages/send", jsonBody(sendBody), async (c) => {
    const body = c.req.valid("json");
    const code = c.req.param("code");
    const claims = await requireSession(c, code, body.session_token ?? c.req.header("X-Session-Token"));
    checkContent(body.message);
    const stub = c.env.CHAT_ROOM.getByName(code);
    const result = await stub.submit(claims, {
      message: body.message,
      reply_to_id: body.reply_to_id ?? null,
      client_id: body.client_id ?? null,
    });
    if (!result.ok) throw new ApiError(result.error.status, result.error.code, result.error.message);
    return c.json(result.message, 201);
  });
