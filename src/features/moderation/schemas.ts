// What the ban routes accept and answer.
import { z } from "zod";

const MAX_BAN_SECONDS = 366 * 24 * 3600;

export const banBody = z.object({
  session_token: z.string({ error: "`session_token` must be a string." }).optional(),
  username: z.string({ error: "`username` must be a string." }).optional(),
  fingerprint: z
    .string({ error: "`fingerprint` must be a string." })
    .min(1)
    .max(128, { error: "`fingerprint` can have at most 128 characters." })
    .optional(),
  ip_address: z.string({ error: "`ip_address` must be a string." }).max(64).optional(),
  user_id: z.uuid({ error: "`user_id` must be a UUID." }).optional(),
  reason: z.string({ error: "`reason` must be a string." }).max(500, { error: "A reason can have at most 500 characters." }).optional(),
  duration_seconds: z
    .number({ error: "`duration_seconds` must be a number." })
    .int({ error: "`duration_seconds` must be a whole number." })
    .min(1, { error: "`duration_seconds` must be at least 1." })
    .max(MAX_BAN_SECONDS, { error: "A ban can last at most a year; leave `duration_seconds` out for a ban without end." })
    .optional(),
  announce: z.boolean({ error: "`announce` must be true or false." }).optional(),
});

export const tokenQuery = z.object({ session_token: z.string().optional() });

// ---- answers ----------------------------------------------------------------

export const banSchema = z
  .object({
    id: z.uuid(),
    username: z.string().nullable(),
    fingerprint: z.string().nullable(),
    ip_address: z.string().nullable(),
    user_id: z.uuid().nullable(),
    reason: z.string().nullable(),
    created_at: z.iso.datetime(),
    expires_at: z.iso.datetime().nullable(),
    revoked_at: z.iso.datetime().nullable(),
    active: z.boolean(),
  })
  .meta({ id: "Ban" });

export const banAnswer = z.object({ ban: banSchema, participations_covered: z.number().int(), sockets_closed: z.number().int() });

export const bansAnswer = z.object({ bans: z.array(banSchema) });

export const unbanAnswer = z.object({ ban: banSchema });
