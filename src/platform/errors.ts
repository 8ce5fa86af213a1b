// The one error type of the API. Thrown anywhere, it renders itself as the
// protocol's error body `{error, detail, code, details?}`: app.ts answers REST calls
// with it and its status, the room sends it as an `error` frame.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { ErrorBody, ErrorCode } from "../protocol";
import { describeUsernameProblem, type UsernameProblem } from "../domain/usernames";
import { describeTextProblem, findBadText, type TextProblem } from "../domain/text";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers, such as Retry-After on a 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toJSON(): ErrorBody {
    // `detail` repeats the sentence under the name Django REST framework uses: the original ChatPop
    // web client shows `detail` and nothing else.
    return { error: this.message, detail: this.message, code: this.code, ...(this.details ? { details: this.details } : {}) };
  }
}

// Named constructors for the errors raised in more than one place, so each reads the same everywhere.

export const dbUnavailable = () =>
  new ApiError(503, "DB_UNAVAILABLE", "The database is unavailable right now; try again in a few seconds.");

export const internalError = () => new ApiError(500, "INTERNAL_ERROR", "Something went wrong on our side; try again.");

export const messageNotFound = () =>
  new ApiError(404, "MESSAGE_NOT_FOUND", "This room has no such message (it may have been deleted).");

/** Text that is not JSON, or JSON that is not an object: the same answer for a REST body and a frame. */
export const invalidJson = (what: "The request body" | "A frame", reason: "syntax" | "not_object") =>
  new ApiError(400, "INVALID_JSON", reason === "syntax" ? `${what} must be valid JSON.` : `${what} must be a JSON object.`);

export const invalidUsername = (problem: UsernameProblem) =>
  new ApiError(400, "INVALID_USERNAME", describeUsernameProblem(problem), { reason: problem });

export const invalidCharacters = (field: string, problem: TextProblem) =>
  new ApiError(400, "INVALID_CHARACTERS", describeTextProblem(field, problem), { field, reason: problem });

/** Refuses text with control characters or lone surrogates anywhere in a parsed body, frame or query (see domain/text.ts). */
export function checkText(value: unknown): void {
  const bad = findBadText(value);
  if (bad) throw invalidCharacters(bad.field, bad.problem);
}

export const usernameTaken = (why: string) => new ApiError(409, "USERNAME_TAKEN", why);

export const banned = (details?: { reason: string | null; expires_at: string | null }) =>
  new ApiError(403, "BANNED", "You are banned from this room.", details);

export const notBackroomMember = (why: string) => new ApiError(403, "NOT_BACKROOM_MEMBER", why);

export const alreadyMember = (why: string) => new ApiError(409, "ALREADY_MEMBER", why);

export const invalidToken = (why: string) => new ApiError(401, "INVALID_TOKEN", why);

/** A failed zod parse as a 400, naming each bad field. */
export function validationError(error: z.ZodError): ApiError {
  const fields = error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
  return new ApiError(400, "VALIDATION_ERROR", fields[0]?.message ?? "The request is not valid.", { fields });
}

/** Parses text that must hold one JSON object (a REST body or a frame). */
export function parseJsonObject(text: string, what: "The request body" | "A frame"): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidJson(what, "syntax");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalidJson(what, "not_object");
  checkText(raw);
  return raw as Record<string, unknown>;
}
