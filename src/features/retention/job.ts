// The scheduled handler: applies retention in Postgres, then tells the rooms whose
// participant copies hold the cleared addresses (each room also clears its own copy
// when it wakes, so a room not reached here is cleared at its next wake).
import { requestDb } from "../../platform/db";
import { errorText, logEvent } from "../../platform/log";
import { inBatches, roomStub } from "../../platform/room-stub";
import { settingsOf } from "../../platform/settings";
import { DAY_MS, applyRetention } from "./retention";
/** Rooms told per run at most: the rest clear their copies when they next wake. */
const ROOMS_PER_RUN = 500;

export async function runRetention(env: Env, now = Date.now()): Promise<void> {
  const days = settingsOf(env).RETENTION_DAYS;
  try {
    const cutoff = new Date(now - days * DAY_MS);
    const report = await applyRetention(requestDb(env), cutoff);
    const outcomes = await inBatches(report.rooms.slice(0, ROOMS_PER_RUN), (code) => roomStub(env, code).forgetAddressesBefore(cutoff.getTime()));
    const told = outcomes.filter((o) => o.status === "fulfilled").length;
    logEvent("retention_applied", { days, addresses_cleared: report.addresses_cleared, bans_deleted: report.bans_deleted, rooms: report.rooms.length, rooms_told: told });
  } catch (e) {
    logEvent("retention_failed", { days, error: errorText(e) });
    throw e;
  }
}
