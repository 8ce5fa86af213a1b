// Message history (PostgreSQL only) and the REST send, which goes through the
// room's Durable Object exactly like a WebSocket send.
import type { Channel } from "../../protocol";
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, messageNotFound } from "../../platform/errors";
import { decodeCursor, encodeCursor } from "../../domain/cursor";
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from "../../domain/limits";
import { activePins, historyPage } from "./queries";
import { loadRoom, type RoomWithHost } from "../rooms/queries";
import type { Db } from "../../platform/db";
import { jsonBody, queryParams } from "../../platform/http/body";
import type { AppEnv } from "../../platform/http/context";
import { requireSession, sessionTokenOf } from "../../platform/http/session";
import { describeEmojiProblem, emojiProblem } from "../../domain/reactions";
import { liveMessage } from "./queries";
import { reactionCounts } from "./reaction-queries";
import { redisClient } from "../../platform/redis";
import { windowSettings } from "./window";
import { readReactionCounts, writeReactionCounts } from "./reaction-cache";
import { checkContent, sendFields } from "./schemas";
import { unwrap } from "../../room/result";

export const historyQuery = z.object({
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

const messageIdParam = z.uuid();

export const reactBody = z.object({
  session_token: z.string({ error: "`session_token` must be a string." }).optional(),
  emoji: z.string({ error: "`emoji` must be a string holding one emoji." }),
});

export const tokenBody = z.object({ session_token: z.string({ error: "`session_token` must be a string." }).optional() });

/** The message id of the path, or the 404 an unknown id gets anyway. */
export function messageIdOf(raw: string): string {
  if (!messageIdParam.safeParse(raw).success) throw messageNotFound();
  return raw;
}

/** One page of a channel's history, newest page first, with the keyset cursor to the page before it. */
export async function historyAnswer(db: Db, room: RoomWithHost, q: z.output<typeof historyQuery>, channel: Channel) {
  let beforeSeq: number | null = null;
  if (q.before !== undefined && q.before !== "") {
    beforeSeq = decodeCursor(q.before);
    if (beforeSeq === null) {
      throw new ApiError(400, "INVALID_CURSOR", "`before` must be a `next_before` value from an earlier page.");
    }
  }
  const limit = q.limit ?? HISTORY_DEFAULT_LIMIT;
  const [page, pinned] = await Promise.all([
    historyPage(db, room, { limit, beforeSeq, channel }),
    channel === "main" ? activePins(db, room) : Promise.resolve([]),
  ]);
  const oldest = page.messages[0];
  return {
    messages: page.messages,
    pinned_messages: pinned,
    has_more: page.hasMore,
    next_before: page.hasMore && oldest ? encodeCursor(oldest.seq) : null,
    count: page.messages.length,
  };
}

export const sendBody = z.object({ ...sendFields, session_token: z.string({ error: "`session_token` must be a string." }).optional() });

export const messageRoutes = new Hono<AppEnv>()
  .get("/:code/messages", queryParams(historyQuery), async (c) => {
    const q = c.req.valid("query");
    const db = c.var.db();
    const room = await loadRoom(db, c.req.param("code"));
    if (room.accessMode === "private") {
      await requireSession(c, room.code, sessionTokenOf(c, q.session_token));
    }
    return c.json(await historyAnswer(db, room, q, "main"));
  })
  .post("/:code/messages/send", jsonBody(sendBody), async (c) => {
    const body = c.req.valid("json");
    const code = c.req.param("code");
    const claims = await requireSession(c, code, sessionTokenOf(c, body.session_token));
    checkContent(body.message);
    const stub = c.env.CHAT_ROOM.getByName(code);
    const result = await stub.submit(claims, {
      message: body.message,
      reply_to_id: body.reply_to_id ?? null,
      client_id: body.client_id ?? null,
      channel: body.channel ?? "main",
    });
    return c.json(unwrap(result), 201);
  })
  .post("/:code/messages/:id/react", jsonBody(reactBody), async (c) => {
    const body = c.req.valid("json");
    const code = c.req.param("code");
    const claims = await requireSession(c, code, sessionTokenOf(c, body.session_token));
    const problem = emojiProblem(body.emoji);
    if (problem) throw new ApiError(400, "INVALID_EMOJI", describeEmojiProblem(problem), { reason: problem });
    const result = await c.env.CHAT_ROOM.getByName(code).react(claims, messageIdOf(c.req.param("id")), body.emoji);
    return c.json(unwrap(result));
  })
  .get("/:code/messages/:id/reactions", async (c) => {
    const db = c.var.db();
    const room = await loadRoom(db, c.req.param("code"));
    if (room.accessMode === "private") await requireSession(c, room.code, sessionTokenOf(c));
    const id = messageIdOf(c.req.param("id"));
    if (!(await liveMessage(db, room.id, id))) throw messageNotFound();
    const redis = redisClient(c.env);
    let reactions = await readReactionCounts(redis, room.code, id).catch(() => null);
    if (reactions === null) {
      // Missing or expired: rebuild from Postgres, and put it back for the next reader.
      reactions = (await reactionCounts(db, [id])).get(id)!;
      const ttl = windowSettings(c.env).ttlSeconds;
      c.executionCtx.waitUntil(writeReactionCounts(redis, room.code, id, reactions, ttl).catch(() => {}));
    }
    return c.json({ message_id: id, reactions });
  })
  .post("/:code/messages/:id/delete", jsonBody(tokenBody), async (c) => {
    const body = c.req.valid("json");
    const code = c.req.param("code");
    const claims = await requireSession(c, code, sessionTokenOf(c, body.session_token));
    const result = await c.env.CHAT_ROOM.getByName(code).deleteMessage(claims, messageIdOf(c.req.param("id")));
    return c.json(unwrap(result));
  });
