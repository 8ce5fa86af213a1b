// Suggested usernames (registration's, and a room's for a visitor who would rather not pick one):
// candidates from domain/name-suggestions.ts, the first one nobody holds.
import { ApiError } from "../../platform/errors";
import type { HttpDb } from "../../platform/db";
import { nameCandidates } from "../../domain/name-suggestions";
import { takenNames } from "./participation-queries";

/** A suggested name nobody holds (in the room, when given); 503 in the unlikely case every candidate is. */
export async function freeName(db: HttpDb, roomCode: string | null): Promise<string> {
  const candidates = nameCandidates(8);
  const taken = await takenNames(db, candidates, roomCode);
  const free = candidates.find((n) => !taken.has(n));
  if (!free) throw new ApiError(503, "NO_SUGGESTION", "No free username came up this time; try again, or type one.");
  return free;
}

