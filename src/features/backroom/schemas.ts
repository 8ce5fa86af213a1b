// What the back-room routes accept and answer.
import { BACKROOM_MAX_PRICE_CENTS, BACKROOM_MAX_SEATS, BACKROOM_MIN_PRICE_CENTS } from "../../domain/pricing";
import { z } from "zod";

export const settingsBody = z
  .object({
    session_token: z.string().optional(),
    enabled: z.boolean({ error: "`enabled` must be true or false." }),
    price_cents: z
      .number({ error: "`price_cents` must be a whole number of cents." })
      .int({ error: "`price_cents` must be a whole number of cents." })
      .min(BACKROOM_MIN_PRICE_CENTS, { error: `The back room costs at least ${BACKROOM_MIN_PRICE_CENTS} cents.` })
      .max(BACKROOM_MAX_PRICE_CENTS, { error: `The back room costs at most ${BACKROOM_MAX_PRICE_CENTS} cents.` })
      .optional(),
    seat_limit: z
      .number({ error: "`seat_limit` must be a whole number." })
      .int({ error: "`seat_limit` must be a whole number." })
      .min(1, { error: "The back room needs at least one seat." })
      .max(BACKROOM_MAX_SEATS, { error: `The back room can have at most ${BACKROOM_MAX_SEATS} seats.` })
      .optional(),
  })
  .refine((b) => !b.enabled || (b.price_cents !== undefined && b.seat_limit !== undefined), {
    error: "Opening the back room needs `price_cents` and `seat_limit`.",
    path: ["price_cents"],
  });

// ---- answers ----------------------------------------------------------------

export const membersAnswer = z
  .array(
    z.object({
      id: z.uuid(),
      username: z.string(),
      username_is_reserved: z.boolean(),
      amount_paid: z.string().nullable().describe('What the seat cost, in dollars ("5.00").'),
      joined_at: z.iso.datetime(),
      is_active: z.boolean(),
    }),
  )
  .describe("A list, as the original ChatPop answers it.");

export const backroomAnswer = z.object({
  id: z.uuid().describe("The room's id: the back room is part of its room."),
  chat_room: z.uuid(),
  price_per_seat: z.string().describe('The seat price in dollars ("5.00"), as the original ChatPop sends it.'),
  max_seats: z.number().int(),
  seats_occupied: z.number().int().describe("Seats taken, pending purchases included."),
  seats_available: z.number().int(),
  is_full: z.boolean(),
  is_active: z.boolean().describe("Whether the back room is open."),
  created_at: z.iso.datetime(),
  backroom: z.object({
    enabled: z.boolean(),
    price_cents: z.number().int().nullable(),
    currency: z.string(),
    seat_limit: z.number().int().nullable(),
    seats_taken: z.number().int(),
    seats_left: z.number().int(),
    is_member: z.boolean().optional().describe("With a session token: whether the caller is in the back room."),
  }),
});
