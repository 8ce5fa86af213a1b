// What the room routes accept and answer.
import { z } from "zod";
import { displayText } from "../../domain/text";
import { historyPageSchema } from "../messages/schemas";

/** A new private room's access code is no PIN: guessing one must take longer than the wrong-code budget allows. */
export const ACCESS_CODE_MIN_CHARS = 6;

const mediaFlag = (field: string) => z.boolean({ error: `\`${field}\` must be true or false.` }).optional();

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
    // The original web client sends `access_code: ""` for every public room: empty means none.
    access_code: z
      .string({ error: "`access_code` must be a string." })
      .max(64, { error: "Access codes can have at most 64 characters." })
      .optional()
      .transform((code) => (code === "" ? undefined : code))
      .pipe(z.string().min(ACCESS_CODE_MIN_CHARS, { error: `Access codes need at least ${ACCESS_CODE_MIN_CHARS} characters: a short code is guessed quickly.` }).optional()),
    // Accepted for the original web client; rooms here are text only (the room reports them false).
    voice_enabled: mediaFlag("voice_enabled"),
    video_enabled: mediaFlag("video_enabled"),
    photo_enabled: mediaFlag("photo_enabled"),
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
    id: z.uuid(),
    code: z.string(),
    name: z.string(),
    description: z.string(),
    access_mode: z.enum(["public", "private"]),
    host: z.object({ id: z.uuid(), reserved_username: z.string().nullable() }),
    url: z.string().describe("The room's page in the web client (/chat/{code})."),
    voice_enabled: z.boolean().describe("Always false: rooms are text only."),
    video_enabled: z.boolean().describe("Always false."),
    photo_enabled: z.boolean().describe("Always false."),
    default_theme: z.string(),
    theme_locked: z.boolean(),
    message_count: z.number().int().describe("Messages sent in the main room (deleted ones included)."),
    has_back_room: z.boolean(),
    is_active: z.boolean(),
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

export const enterAnswer = joinAnswer.extend({
  room: roomSchema,
  history: historyPageSchema.describe("The main room's newest page and active pins, as `GET /messages` answers with no cursor."),
});

export const fingerprintNameBody = z.object({
  fingerprint,
  username: z.string({ error: "`username` must be a string." }).optional().describe("Ignored: the name is the one the join stored."),
});

export const suggestAnswer = z.object({
  username: z.string(),
  remaining: z.number().int().nullable().describe("Suggestions this address may still ask for this hour (null when unknown)."),
});

export const fingerprintNameAnswer = z.object({ found: z.boolean(), username: z.string().nullable() });

export const rateLimitAnswer = z.object({
  can_join: z.boolean(),
  is_rate_limited: z.boolean().describe("True when this address (or its IPv6 /48) holds as many anonymous names here as it may."),
  anonymous_count: z.number().int().optional(),
  max_allowed: z.number().int().optional(),
  existing_username: z.string().optional().describe("A returning visitor's name (it may rejoin under it)."),
});

const notJoined = z.object({ has_joined: z.literal(false) });

const joined = z.object({
  has_joined: z.literal(true),
  first_joined_at: z.iso.datetime(),
  participation_id: z.uuid(),
  username: z.string(),
  is_anonymous: z.boolean(),
  is_host: z.boolean(),
  username_is_reserved: z.boolean(),
  joined_at: z.iso.datetime(),
  last_seen_at: z.iso.datetime(),
  ban: z.object({ reason: z.string().nullable(), expires_at: z.iso.datetime().nullable() }).nullable(),
});

export const participationAnswer = z.union([joined, notJoined]);

export const validateAnswer = z.object({
  available: z.boolean(),
  reason: z.string().optional(),
  username: z.string(),
  message: z.string().describe("The reason, or that it is available: a sentence to show."),
});
