// What the room's RPC methods answer. An ApiError does not survive the trip
// from the Durable Object to the Worker as itself, so refusals travel as data
// and become an ApiError again on the Worker side (unwrap).
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../platform/errors";

export type RoomResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: RefusalData };

export interface RefusalData {
  status: ContentfulStatusCode;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export const done = <T>(value: T): RoomResult<T> => ({ ok: true, value });

export const refused = (e: ApiError): RoomResult<never> => ({
  ok: false,
  error: { status: e.status, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
});

export const asApiError = (error: RefusalData) => new ApiError(error.status, error.code, error.message, error.details);

export function unwrap<T>(result: RoomResult<T>): T {
  if (!result.ok) throw asApiError(result.error);
  return result.value;
}
