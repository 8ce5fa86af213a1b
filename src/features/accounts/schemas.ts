// What the account routes accept and answer.
import { z } from "zod";

const email = z
  .string({ error: "`email` must be a string." })
  .trim()
  .max(254, { error: "That email address is too long." })
  .pipe(z.email({ error: "That is not a valid email address." }))
  .transform((e) => e.toLowerCase());

const password = z
  .string({ error: "`password` must be a string." })
  .min(8, { error: "Passwords need at least 8 characters." })
  .max(128, { error: "Passwords can have at most 128 characters." });

export const registerSchema = z.object({
  email,
  password,
  // Optional, as in the original ChatPop ("" reads as none): an account may reserve no name.
  reserved_username: z
    .string({ error: "`reserved_username` must be a string." })
    .nullish()
    .transform((name) => (name ? name : null)),
});

export const checkUsernameQuery = z.object({
  username: z.string({ error: "Send the `username` to check." }).trim().min(1, { error: "Send the `username` to check." }),
});

export const loginSchema = z.object({
  email,
  password: z.string({ error: "`password` must be a string." }).max(128, { error: "Wrong email or password." }),
});

/** Deleting the account asks for its password again: a token left on a shared computer must not be enough. */
export const deleteAccountSchema = z.object({
  password: z.string({ error: "`password` (the account's password) is required." }).min(1, { error: "`password` is required." }).max(128, { error: "Wrong password." }),
});

// ---- answers ----------------------------------------------------------------

export const userSchema = z
  .object({ id: z.uuid(), email: z.string(), reserved_username: z.string().nullable(), created_at: z.iso.datetime() })
  .meta({ id: "User" });

export const tokenAnswer = z.object({ user: userSchema, token: z.string().describe("Send as `Authorization: Bearer <token>`.") });

/** The account itself, its fields at the top level (the original ChatPop's shape). */
export const meAnswer = userSchema;

export const checkUsernameAnswer = z.object({
  available: z.boolean(),
  message: z.string().describe("Why not, or that it is available: a sentence to show."),
  reason: z.string().optional().describe("When the name breaks a rule: the INVALID_USERNAME reason."),
});

export const deleteAccountAnswer = z.object({
  deleted: z.literal(true),
  rooms_updated: z.number().int().describe("Rooms whose messages, participants and windows no longer name the account."),
  sockets_closed: z.number().int().describe("The account's open sockets, closed with SESSION_ENDED (4003)."),
});

const rows = z.array(z.record(z.string(), z.unknown()));
export const accountExportAnswer = z
  .object({
    exported_at: z.string(),
    account: z.object({ id: z.uuid(), email: z.string(), reserved_username: z.string().nullable(), created_at: z.string() }),
    logins: rows.describe("Every login (token) issued, with when it ends or ended."),
    participations: rows.describe("Each room joined: the name, and the fingerprint and address kept for that room's limits."),
    messages: rows.describe("Every message sent, deleted ones included."),
    reactions: rows,
    payments: rows.describe("Pins, tips and back-room seats bought, with their amounts and states."),
    back_room_seats: rows,
    rooms_hosted: rows,
    bans: rows.describe("Bans that name the account (by account, or captured from it)."),
  })
  .meta({ id: "AccountExport" });
