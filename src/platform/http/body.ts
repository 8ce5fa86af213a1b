// Request validation with zod. Bodies are parsed as JSON whatever the
// Content-Type says (clients forget it); every failure becomes the API's JSON
// error, and handlers read the result with c.req.valid(…). Each validator also
// tells hono-openapi its schema, so the OpenAPI document shows what it accepts.
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import { bodyLimit } from "hono/body-limit";
import { resolver, uniqueSymbol } from "hono-openapi";
import { createMiddleware } from "hono/factory";
import { ApiError, checkText, parseJsonObject, validationError } from "../errors";
import { BODY_MAX_BYTES } from "../../domain/limits";

type Validated<Target extends string, S extends z.ZodType> = MiddlewareHandler<
  any,
  string,
  { in: { [K in Target]: z.input<S> }; out: { [K in Target]: z.output<S> } }
>;

/** Marks a validator the way hono-openapi's own `validator` does, so its schema is documented. */
function documentedAs<Target extends "json" | "query", S extends z.ZodType>(target: Target, schema: S, mw: Validated<Target, S>) {
  return Object.assign(mw, { [uniqueSymbol]: { target, ...resolver(schema) } });
}

export function jsonBody<S extends z.ZodType>(schema: S): Validated<"json", S> {
  return documentedAs("json", schema, async (c, next) => {
    // The size was capped before this read, by limitBody (app.ts).
    const text = await c.req.text();
    // No body at all reads as {}: the schema then names what is missing.
    const raw = text.trim() === "" ? {} : parseJsonObject(text, "The request body");
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw validationError(parsed.error);
    c.req.addValidatedData("json", parsed.data as object);
    await next();
  });
}

export function queryParams<S extends z.ZodType>(schema: S): Validated<"query", S> {
  return documentedAs("query", schema, async (c, next) => {
    const parsed = schema.safeParse(c.req.query());
    if (!parsed.success) throw validationError(parsed.error);
    c.req.addValidatedData("query", parsed.data as object);
    await next();
  });
}

/**
 * Refuses a body over BODY_MAX_BYTES before it is read: on Content-Length when given,
 * else while streaming it, so an oversized body is never buffered whole.
 */
export const limitBody = () =>
  bodyLimit({
    maxSize: BODY_MAX_BYTES,
    onError: () => {
      throw new ApiError(413, "BODY_TOO_LARGE", `Request bodies can be at most ${BODY_MAX_BYTES / 1024} KiB.`, {
        max_bytes: BODY_MAX_BYTES,
      });
    },
  });

/** Query strings pass the same text rule as bodies and frames (domain/text.ts), on every route. */
export const checkQueryText = () =>
  createMiddleware(async (c, next) => {
    checkText(c.req.queries());
    await next();
  });
