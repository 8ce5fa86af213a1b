// What the room's RPC methods answer. An ApiError does not survive the trip
// from the Durable Object to the Worker as itself, so refusals travel as the
// protocol's error body plus the status, and become an ApiError again on the
// Worker side (unwrap).
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorBody } from "../protocol";
import { ApiError } from "./errors";

export type RoomResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: Refusal };

export type Refusal = ErrorBody & { status: ContentfulStatusCode; headers?: Record<string, string> };

export const done = <T>(value: T): RoomResult<T> => ({ ok: true, value });

export const refusalOf = (e: ApiError): Refusal => ({ status: e.status, ...e.toJSON(), ...(e.headers ? { headers: e.headers } : {}) });

export const refused = (e: ApiError): RoomResult<never> => ({ ok: false, error: refusalOf(e) });

export const asApiError = (r: Refusal) => new ApiError(r.status, r.code, r.error, r.details, r.headers);

export function unwrap<T>(result: RoomResult<T>): T {
  if (!result.ok) throw asApiError(result.error);
  return result.value;
}
