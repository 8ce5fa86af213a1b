// The entry: what a visitor's first screen needs (the room, a session of it, its newest messages and
// pins) in one request and one Postgres round trip. The join (join.ts) carries the page's queries in its
// batch; a refused join answers exactly as POST /join does, and the page read beside it is dropped.
import type { Context } from "hono";
import type { AppEnv } from "../../platform/http/context";
import { HISTORY_DEFAULT_LIMIT } from "../../domain/limits";
import { newestPageOf, newestPageQueries } from "../messages/queries";
import { pageAnswer } from "../messages/history";
import { joinRoom, type JoinInput } from "./join";
import { publicRoom } from "./lookup";

export async function enterRoom(c: Context<AppEnv>, code: string, body: JoinInput) {
  const joined = await joinRoom(c, code, body, (db) => newestPageQueries(db, code, HISTORY_DEFAULT_LIMIT));
  return {
    room: publicRoom(joined.room, c.req.url),
    ...joined.answer,
    history: pageAnswer(newestPageOf(code, joined.extra, HISTORY_DEFAULT_LIMIT)),
  };
}
