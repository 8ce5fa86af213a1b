// Every rule a send must pass before it is queued, in one place for socket,
// relay and REST sends: the sender's allowance (every send costs it, even one
// refused later, so refusals are no free way to load the room), its content,
// bans, and back-room membership. Reactions have an allowance of their own.
import { ApiError, banned, notBackroomMember } from "../platform/errors";
import type { SessionClaims } from "../domain/tokens";
import type { Allowances } from "../domain/send-limit";
import { checkContent, type SendInput } from "../features/messages/schemas";
import type { RoomBans } from "../features/moderation/room-bans";
import type { RoomBackroom } from "../features/backroom/room-backroom";

/** A send's verdict: it may be queued, its socket must go (banned: kick; flooding: close), or it is refused. */
export type SendCheck = "pass" | "kick" | "close" | ApiError;

export interface SendRulesDeps {
  sendAllowance: Allowances;
  reactionAllowance: Allowances;
  bans: RoomBans;
  backroom: RoomBackroom;
  /** A send was refused (its code, for the metrics). */
  refused(code: string): void;
}

export class SendRules {
  constructor(private readonly deps: SendRulesDeps) {}

  /** `fromSocket`: a socket that floods is closed; a REST caller is only told to wait. */
  async check(claims: SessionClaims, input: SendInput, fromSocket: boolean): Promise<SendCheck> {
    const verdict = await this.verdict(claims, input, fromSocket);
    if (verdict !== "pass") this.deps.refused(verdict === "kick" ? "BANNED" : verdict === "close" ? "FLOODING" : verdict.code);
    return verdict;
  }

  private async verdict(claims: SessionClaims, input: SendInput, fromSocket: boolean): Promise<SendCheck> {
    const { sendAllowance, bans, backroom } = this.deps;
    const allowance = sendAllowance.take(claims.participationId);
    if (allowance === "abusive" && fromSocket) return "close";
    if (allowance !== "ok") return tooFast("sending", sendAllowance.retryAfterSeconds(claims.participationId));
    try {
      checkContent(input.message);
    } catch (e) {
      if (e instanceof ApiError) return e;
      throw e;
    }
    if (await bans.covers(claims)) return "kick";
    if (input.channel === "backroom" && !(await backroom.admits(claims))) {
      return notBackroomMember("Only back-room members and the host can send there; join the back room first.");
    }
    return "pass";
  }

  /** A REST send's verdict as a refusal (a REST caller has no socket to kick or close), or null to go on. */
  async checkRest(claims: SessionClaims, input: SendInput): Promise<ApiError | null> {
    const verdict = await this.check(claims, input, false);
    if (verdict === "kick") return banned();
    // Not reached (only a socket is closed for flooding); a REST caller past its allowance is told to wait.
    if (verdict === "close") return tooFast("sending", this.deps.sendAllowance.retryAfterSeconds(claims.participationId));
    return verdict === "pass" ? null : verdict;
  }

  /** A reaction past the participant's allowance is refused; null: it may react. */
  reaction(claims: SessionClaims): ApiError | null {
    const { reactionAllowance } = this.deps;
    if (reactionAllowance.take(claims.participationId) === "ok") return null;
    return tooFast("reacting", reactionAllowance.retryAfterSeconds(claims.participationId));
  }
}

const tooFast = (what: string, retryAfter: number) =>
  new ApiError(429, "RATE_LIMITED", `You are ${what} too fast; wait ${retryAfter} s.`, { retry_after_seconds: retryAfter }, {
    "Retry-After": String(retryAfter),
  });
