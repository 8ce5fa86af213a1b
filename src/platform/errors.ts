import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/**
 * The one error type of the API. Thrown anywhere, it becomes the JSON shape
 * `{error, code, details?}` with its status (see app.ts), or an `error` frame
 * on a WebSocket.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers, such as Retry-After on a 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toJSON(): ErrorBody {
    return { error: this.message, code: this.code, ...(this.details ? { details: this.details } : {}) };
  }
}

export interface ErrorBody {
  error: string;
  code: string;
  details?: Record<string, unknown>;
}

export const dbUnavailable = () =>
  new ApiError(503, "DB_UNAVAILABLE", "The database is unavailable right now; try again in a few seconds.");

export const messageNotFound = () =>
  new ApiError(404, "MESSAGE_NOT_FOUND", "This room has no such message (it may have been deleted).");

/** A failed zod parse as a 400, naming each bad field. */
export function validationError(error: z.ZodError): ApiError {
  const fields = error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
  return new ApiError(400, "VALIDATION_ERROR", fields[0]?.message ?? "The request is not valid.", { fields });
}
