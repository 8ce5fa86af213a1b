import { z } from "zod";

export const roomLogAnswer = z
  .object({
    channel: z.enum(["main", "backroom"]),
    rows: z
      .array(z.object({ seq: z.number().int(), id: z.uuid(), state: z.enum(["pending", "flushed", "rejected"]), deleted: z.boolean() }))
      .describe("Every message the room's own log holds of the channel, oldest first (the newest LOG_RETAIN_ROWS or more)."),
    unflushed: z.number().int().describe("Rows Postgres does not have yet."),
  })
  .meta({ id: "RoomLog" });

/** What a room's log holds of a channel, for operators (GET /api/ops/rooms/{code}/log/). */
export type RoomLogSummary = z.infer<typeof roomLogAnswer>;
export const channelQuery = z.object({ channel: z.enum(["main", "backroom"]).default("main") });
