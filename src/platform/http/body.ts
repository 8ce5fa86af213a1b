// Request validation with zod. Bodies are parsed as JSON whatever the
// Content-Type says (clients forget it); every failure becomes the API's JSON
// error, and handlers read the result with c.req.valid(…).
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import { ApiError, parseJsonObject, validationError } from "../errors";

const MAX_BODY_BYTES = 64 * 1024;

type Validated<Target extends string, S extends z.ZodType> = MiddlewareHandler<
  any,
  string,
  { in: { [K in Target]: z.input<S> }; out: { [K in Target]: z.output<S> } }
>;

export function jsonBody<S extends z.ZodType>(schema: S): Validated<"json", S> {
  return async (c, next) => {
    const text = await c.req.text();
    if (text.length > MAX_BODY_BYTES) {
      throw new ApiError(413, "BODY_TOO_LARGE", `Request bodies can be at most ${MAX_BODY_BYTES / 1024} KiB.`);
    }
    // No body at all reads as {}: the schema then names what is missing.
    const raw = text.trim() === "" ? {} : parseJsonObject(text, "The request body");
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw validationError(parsed.error);
    c.req.addValidatedData("json", parsed.data as object);
    await next();
  };
}

export function queryParams<S extends z.ZodType>(schema: S): Validated<"query", S> {
  return async (c, next) => {
    const parsed = schema.safeParse(c.req.query());
    if (!parsed.success) throw validationError(parsed.error);
    c.req.addValidatedData("query", parsed.data as object);
    await next();
  };
}
