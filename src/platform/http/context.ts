import { createMiddleware } from "hono/factory";
import { requestDb, type HttpDb } from "../db";

export type AppEnv = { Bindings: Env; Variables: { db: () => HttpDb } };

/** The request's database (Neon's HTTP endpoint), made on first use. */
export const withDb = createMiddleware<AppEnv>(async (c, next) => {
  let db: HttpDb | undefined;
  c.set("db", () => (db ??= requestDb(c.env)));
  await next();
});
