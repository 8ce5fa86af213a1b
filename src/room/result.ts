// What the room's RPC methods answer. An ApiError does not survive the trip
// from the Durable Object to the Worker as itself, so refusals travel as data
// and become an ApiError again on the Worker side (unwrap).
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../errors";

export type RoomResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: { status: ContentfulStatusCode; code: string; message: string } };

export const done = <T>(value: T): RoomResult<T> => ({ ok: true, value });

export const refused = (e: ApiError): RoomResult<never> => ({
  ok: false,
  error: { status: e.status, code: e.code, message: e.message },
});

export const asApiError = (error: { status: ContentfulStatusCode; code: string; message: string }) =>
  new ApiError(error.status, error.code, error.message);

export function unwrap<T>(result: RoomResult<T>): T {
  if (!result.ok) throw asApiError(result.error);
  return result.value;
}
