// What the room routes accept and answer.
import { z } from "zod";
import { displayText } from "../../domain/text";

export const createSchema = z
  .object({
    // Shown to everyone as the room's own: bidi controls and towers of combining marks are dropped first.
    name: z
      .string({ error: "`name` must be a string." })
      .transform(displayText)
      .pipe(z.string().trim().min(1, { error: "The room needs a name." }).max(100, { error: "Room names can have at most 100 characters." })),
    description: z
      .string({ error: "`description` must be a string." })
      .transform(displayText)
      .pipe(z.string().max(1000, { error: "Descriptions can have at most 1000 characters." }))
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

export const fingerprint = z
  .string({ error: "`fingerprint` must be a string." })
  .min(1, { error: "`fingerprint` must not be empty." })
  .max(128, { error: "`fingerprint` can have at most 128 characters." });

export const joinSchema = z.object({
  username: z.string({ error: "`username` must be a string." }),
  fingerprint: fingerprint.optional(),
  access_code: z.string({ error: "`access_code` must be a string." }).optional(),
});

export const validateSchema = z.object({
  username: z.string({ error: "`username` must be a string." }),
  fingerprint: fingerprint.optional(),
  /** A private room answers only with its access code or a room session. */
  access_code: z.string({ error: "`access_code` must be a string." }).optional(),
  session_token: z.string({ error: "`session_token` must be a string." }).optional(),
});

// ---- answers ----------------------------------------------------------------

export const roomSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    description: z.string(),
    access_mode: z.enum(["public", "private"]),
    host: z.object({ reserved_username: z.string() }),
    created_at: z.iso.datetime(),
    ws_url: z.string().describe("The room's WebSocket URL (add ?session_token=…)."),
  })
  .meta({ id: "Room" });

export const joinAnswer = z.object({
  session_token: z.string(),
  username: z.string().describe("The name this participation chats under (a returning one keeps its first)."),
  is_host: z.boolean(),
  username_is_reserved: z.boolean(),
  participation_id: z.uuid(),
});

export const participationAnswer = z.object({
  participation_id: z.uuid(),
  username: z.string(),
  is_anonymous: z.boolean(),
  is_host: z.boolean(),
  username_is_reserved: z.boolean(),
  joined_at: z.iso.datetime(),
  last_seen_at: z.iso.datetime(),
  ban: z.object({ reason: z.string().nullable(), expires_at: z.iso.datetime().nullable() }).nullable(),
});

export const validateAnswer = z.object({ available: z.boolean(), reason: z.string().optional() });
