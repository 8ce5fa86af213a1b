// Operators' reads the CLIs cannot make themselves: what a room's own log holds
// (`npm run inspect-redis -- --compare` sets it beside Redis and Postgres). Only
// with OPERATOR_TOKEN set (a secret, 32+ random bytes) and sent as the bearer
// token; a deploy without it has no such route (404).
import { Hono } from "hono";
import { documented, errorSchema } from "../../platform/http/openapi";
import type { AppEnv } from "../../platform/http/context";
import { queryParams } from "../../platform/http/body";
import { ApiError } from "../../platform/errors";
import { isRoomCode } from "../../domain/room-code";
import { sameBytes } from "../../domain/passwords";
import { roomStub } from "../../platform/room-stub";
import { checkRateLimit } from "../../platform/http/rate-limit";
import { logEvent } from "../../platform/log";
import { channelQuery, roomLogAnswer } from "./schemas";

const encoder = new TextEncoder();

/** The bearer token is OPERATOR_TOKEN (compared in constant time); no route at all without one. */
async function requireOperator(env: Env, header: string | undefined, path: string): Promise<void> {
  const expected = env.OPERATOR_TOKEN;
  if (!expected) throw new ApiError(404, "NOT_FOUND", `No route for GET ${path}.`);
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1] ?? "";
  if (!sameBytes(encoder.encode(given), encoder.encode(expected))) {
    logEvent("operator_refused", { path });
    throw new ApiError(403, "NOT_ALLOWED", "Operators only: send `Authorization: Bearer <OPERATOR_TOKEN>`.");
  }
}

export const operationsRoutes = new Hono<AppEnv>().get(
  "/rooms/:code/log",
  documented({
    summary: "What a room's own log holds (operators)",
    tags: ["operations"],
    description: "Needs `Authorization: Bearer <OPERATOR_TOKEN>`; 404 when the deploy sets no OPERATOR_TOKEN.",
    answers: {
      200: { description: "The log's rows of the channel", schema: roomLogAnswer },
      403: { description: "NOT_ALLOWED: not the operator token", schema: errorSchema },
      404: { description: "ROOM_NOT_FOUND, or NOT_FOUND without OPERATOR_TOKEN", schema: errorSchema },
    },
  }),
  queryParams(channelQuery),
  async (c) => {
    await checkRateLimit(c, "lookup");
    await requireOperator(c.env, c.req.header("Authorization"), c.req.path);
    const code = c.req.param("code");
    if (!isRoomCode(code)) throw new ApiError(400, "VALIDATION_ERROR", "Not a room code (8 characters from 23456789abcdefghjkmnpqrstuvwxyz).");
    const summary = await roomStub(c.env, code).logSummary(c.req.valid("query").channel);
    if (!summary) throw new ApiError(404, "ROOM_NOT_FOUND", `No room has the code ${code}.`);
    return c.json(summary);
  },
);
