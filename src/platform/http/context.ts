import { createMiddleware } from "hono/factory";
import { requestDb, type Db } from "../db";

export type AppEnv = { Bindings: Env; Variables: { db: () => Db } };

/** Opens the request's database pool on first use and closes it after the response. */
export const withDb = createMiddleware<AppEnv>(async (c, next) => {
  let handle: ReturnType<typeof requestDb> | undefined;
  c.set("db", () => (handle ??= requestDb(c.env)).db);
  try {
    await next();
  } finally {
    if (handle) c.executionCtx.waitUntil(handle.close().catch(() => {}));
  }
});
