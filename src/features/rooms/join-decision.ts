// What a join becomes, decided from what the join read (one batch) and what
// the caller asked: the participation it returns to, a new one to create, or
// a refusal. Pure, like planBatch: the route reads, this decides, the route
// writes. The access code is checked before (it spends a rate-limit budget).
import { ApiError, invalidUsername } from "../../platform/errors";
import type { ChatBanRow, ParticipationRow } from "../../platform/schema";
import { newUsernameProblem, usernameKey, usernameSkeleton } from "../../domain/usernames";
import { bannedBy } from "../moderation/queries";
import type { Authenticated } from "../accounts/auth";
import type { RoomWithHost } from "./queries";

export interface JoinReads {
  room: RoomWithHost;
  /** The caller's live login, or null (anonymous). */
  auth: Authenticated | null;
  /** The caller's participation in the room, if it joined before. */
  participation: ParticipationRow | null;
  /** A ban covering the caller as it returns (under its stored name), and as it comes now. */
  returningBan: ChatBanRow | null;
  newBan: ChatBanRow | null;
  /** Whether another account reserved the name the caller asks for. */
  reservedByOther: boolean;
}

export type JoinDecision =
  | { kind: "reuse"; participation: ParticipationRow; isHost: boolean }
  | { kind: "create"; usernameIsReserved: boolean; isHost: boolean }
  | { kind: "refuse"; error: ApiError };

export function decideJoin(reads: JoinReads, input: { username: string }): JoinDecision {
  const { room, auth, participation } = reads;
  const isHost = auth !== null && auth.user.id === room.hostId;
  if (participation) {
    // A returning participant keeps the username it first chose in this room; the host is never banned from its own.
    const ban = isHost ? null : reads.returningBan;
    return ban ? refuse(bannedBy(ban)) : { kind: "reuse", participation, isHost };
  }
  const problem = newUsernameProblem(input.username);
  if (problem) return refuse(invalidUsername(problem));
  if ((auth !== null && !ownsReservedName(auth, input.username) && reads.reservedByOther) || (!isHost && isHostsName(room, input.username))) {
    return refuse(new ApiError(409, "USERNAME_RESERVED", "That username is reserved by another account; pick another."));
  }
  const ban = isHost ? null : reads.newBan;
  if (ban) return refuse(bannedBy(ban));
  return { kind: "create", usernameIsReserved: ownsReservedName(auth, input.username), isHost };
}

const refuse = (error: ApiError): JoinDecision => ({ kind: "refuse", error });

/** Whether a logged-in caller would chat under their own reserved username (the verified badge). */
export const ownsReservedName = (auth: Authenticated | null, name: string) =>
  auth?.user.reservedUsername != null && usernameKey(name) === usernameKey(auth.user.reservedUsername);

/** The host's reserved name is theirs in their rooms, whoever else asks for it (anonymous callers included). */
export const isHostsName = (room: RoomWithHost, name: string) =>
  room.hostReservedUsername !== null && usernameSkeleton(name) === usernameSkeleton(room.hostReservedUsername);
