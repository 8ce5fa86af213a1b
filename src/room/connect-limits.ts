// How often sockets may connect to a room: every upgrade costs its participant
// and its address (and, for IPv6, its /48), whether or not it stays, so a
// reconnect loop cannot make the room read backlogs or place sockets without end.
// Token buckets in the room's memory, like the send allowances.
import { Allowances, type LimitSettings } from "../domain/send-limit";
import { BLOCK_BUDGET } from "../domain/rate-limits";
import { positiveSetting } from "../domain/settings";

const perMinute = (n: number): LimitSettings => ({ burst: n, perSecond: n / 60 });

export class ConnectLimits {
  private readonly byParticipant: Allowances;
  private readonly byAddress: Allowances;
  private readonly byBlock: Allowances;

  constructor(env: { CONNECTS_PER_MINUTE?: string; CONNECTS_PER_MINUTE_PER_IP?: string }, now: () => number) {
    const perIp = positiveSetting(env.CONNECTS_PER_MINUTE_PER_IP, 120);
    this.byParticipant = new Allowances(perMinute(positiveSetting(env.CONNECTS_PER_MINUTE, 30)), now);
    this.byAddress = new Allowances(perMinute(perIp), now);
    this.byBlock = new Allowances(perMinute(perIp * BLOCK_BUDGET[48]), now);
  }

  /** Charges an upgrade; answers why it may not connect now, or null. */
  refusal(participationId: string, address: { ip: string | null; block: string | null }): string | null {
    const participant = this.byParticipant.take(participationId);
    const ip = address.ip ? this.byAddress.take(address.ip) : "ok";
    const block = address.block ? this.byBlock.take(address.block) : "ok";
    if (participant !== "ok") return "too many connections for one participant; wait a minute";
    if (ip !== "ok" || block !== "ok") return "too many connections from your network; wait a minute";
    return null;
  }
}
