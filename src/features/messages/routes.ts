// Message history (PostgreSQL only) and the REST send, which goes through the
// room's Durable Object exactly like a WebSocket send.
import { documented } from "../../platform/http/openapi";
import { deleteAnswer, historyPageSchema, messageSchema, reactAnswer, reactionsAnswer } from "./schemas";
import { Hono } from "hono";
import { ApiError, messageNotFound } from "../../platform/errors";
import { roomNotFound } from "../rooms/lookup";
import { jsonBody, queryParams } from "../../platform/http/body";
import type { AppEnv } from "../../platform/http/context";
import { accountAsReader, checkReader, requireSession, sessionTokenOf, verifiedSession } from "../rooms/session";
import { describeEmojiProblem, emojiProblem } from "../../domain/reactions";
import { reactionsWithRoom } from "./queries";
import { backroomSendBody, historyQuery, reactBody, sendBody, tokenBody } from "./schemas";
import type { Context } from "hono";
import type { z } from "zod";
import { historyAnswer, messageIdOf } from "./history";
import { unwrap } from "../../platform/rpc-result";
import { roomStub } from "../../platform/room-stub";

/** A REST send: through the room's Durable Object, exactly like a socket send. */
async function restSend(c: Context<AppEnv>, body: z.output<typeof sendBody>) {
  const code = c.req.param("code")!;
  const claims = await requireSession(c, code, sessionTokenOf(c, body.session_token ?? undefined));
  const result = await roomStub(c.env, code).submit(claims, {
    message: body.message,
    reply_to_id: body.reply_to_id ?? null,
    client_id: body.client_id ?? null,
    channel: body.channel ?? "main",
  });
  return unwrap(result);
}

export const messageRoutes = new Hono<AppEnv>()
  .get(
    "/:code/messages",
    documented({
      summary: "History from Postgres, newest page first (keyset cursor)",
      tags: ["messages"],
      answers: { 200: { description: "One page", schema: historyPageSchema } },
    }),
    queryParams(historyQuery),
    async (c) => {
      const q = c.req.valid("query");
      const code = c.req.param("code");
      const token = sessionTokenOf(c, q.session_token);
      const reader = token ? await verifiedSession(c, code, token) : null;
      try {
        return c.json(await historyAnswer(c.var.db(), code, q, "main", reader));
      } catch (e) {
        // The original web client reads history with its account token only: in a private room, the
        // account's participation there stands in for a room session (only then, so a public read
        // costs no extra round trip).
        if (reader || !(e instanceof ApiError) || e.code !== "SESSION_REQUIRED") throw e;
        const account = await accountAsReader(c, code);
        if (!account) throw e;
        return c.json(await historyAnswer(c.var.db(), code, q, "main", account));
      }
    },
  )
  .post(
    "/:code/messages/send",
    documented({
      summary: "Send a message (the same pipeline as the WebSocket)",
      tags: ["messages"],
      auth: "session",
      answers: { 201: { description: "The stored message", schema: messageSchema } },
    }),
    jsonBody(sendBody),
    async (c) => c.json(await restSend(c, c.req.valid("json")), 201),
  )
  .post(
    "/:code/backroom/messages/send",
    documented({
      summary: "Send to the back room (the original ChatPop's path; the same as a send with channel \"backroom\")",
      tags: ["backroom"],
      auth: "session",
      answers: { 201: { description: "The stored message", schema: messageSchema } },
    }),
    jsonBody(backroomSendBody),
    async (c) => {
      const { reply_to, ...body } = c.req.valid("json");
      return c.json(await restSend(c, { ...body, reply_to_id: body.reply_to_id ?? reply_to, channel: "backroom" }), 201);
    },
  )
  .post(
    "/:code/messages/:id/react",
    documented({
      summary: "Toggle one emoji reaction",
      tags: ["messages"],
      auth: "session",
      answers: { 200: { description: "The new counts", schema: reactAnswer } },
    }),
    jsonBody(reactBody),
    async (c) => {
      const body = c.req.valid("json");
      const code = c.req.param("code");
      const claims = await requireSession(c, code, sessionTokenOf(c, body.session_token));
      const problem = emojiProblem(body.emoji);
      if (problem) throw new ApiError(400, "INVALID_EMOJI", describeEmojiProblem(problem), { reason: problem });
      const result = await roomStub(c.env, code).react(claims, messageIdOf(c.req.param("id")), body.emoji);
      return c.json(unwrap(result));
    },
  )
  .get(
    "/:code/messages/:id/reactions",
    documented({
      summary: "Reaction counts of a message",
      description: "A private room's messages and back-room messages need a room session (X-Session-Token); a back-room message is 404 to non-members.",
      tags: ["messages"],
      answers: { 200: { description: "The counts, most first", schema: reactionsAnswer } },
    }),
    async (c) => {
      const db = c.var.db();
      const code = c.req.param("code");
      const id = messageIdOf(c.req.param("id"));
      const token = sessionTokenOf(c);
      const reader = token ? await verifiedSession(c, code, token) : null;
      const { room, message, reactions, reader: standing } = await reactionsWithRoom(db, code, id, reader);
      if (!room) throw roomNotFound();
      checkReader(reader, standing, room.accessMode === "private");
      // A back-room message is unknown to whoever may not read the back room.
      const hidden = message?.channel === "backroom" && !standing.inBackroom;
      if (!message || hidden) throw messageNotFound();
      return c.json({ message_id: id, reactions });
    },
  )
  .post(
    "/:code/messages/:id/delete",
    documented({
      summary: "Delete a message (its author or the host)",
      tags: ["messages"],
      auth: "session",
      answers: { 200: { description: "The deleted message's id", schema: deleteAnswer } },
    }),
    jsonBody(tokenBody),
    async (c) => {
      const body = c.req.valid("json");
      const code = c.req.param("code");
      const claims = await requireSession(c, code, sessionTokenOf(c, body.session_token));
      const result = await roomStub(c.env, code).deleteMessage(claims, messageIdOf(c.req.param("id")));
      return c.json(unwrap(result));
    },
  );
