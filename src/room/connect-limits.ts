// How often sockets may connect to a room: every upgrade costs its participant
// and its address (and, for IPv6, its /48), whether or not it stays, so a
// reconnect loop cannot make the room read backlogs or place sockets without end.
// Token buckets in the room's memory, like the send allowances. A participant
// whose socket was closed for flooding waits a minute before it may connect
// again: each flood costs the room every frame already on its way, so the
// flooder must not get a fresh socket every few seconds.
import { Allowances, type LimitSettings } from "../domain/send-limit";
import { BLOCK_BUDGET } from "../domain/rate-limits";
import type { Settings } from "../platform/settings";

const perMinute = (n: number): LimitSettings => ({ burst: n, perSecond: n / 60 });

/** How long a participant closed for flooding may not connect. */
export const ABUSE_COOLDOWN_MS = 60_000;
/** Cooldowns a room remembers at most (the oldest go first). */
const MAX_COOLDOWNS = 10_000;

export class ConnectLimits {
  private readonly byParticipant: Allowances;
  private readonly byAddress: Allowances;
  private readonly byBlock: Allowances;
  /** Participants closed for flooding, and until when they wait. */
  private readonly cooling = new Map<string, number>();

  constructor(
    settings: Settings,
    private readonly now: () => number,
  ) {
    const perIp = settings.CONNECTS_PER_MINUTE_PER_IP;
    this.byParticipant = new Allowances(perMinute(settings.CONNECTS_PER_MINUTE), now);
    this.byAddress = new Allowances(perMinute(perIp), now);
    this.byBlock = new Allowances(perMinute(perIp * BLOCK_BUDGET[48]), now);
  }

  /** The participant flooded (a socket of theirs was closed for it): no new socket for a minute. */
  abused(participationId: string): void {
    this.cooling.delete(participationId);
    if (this.cooling.size >= MAX_COOLDOWNS) this.cooling.delete(this.cooling.keys().next().value!);
    this.cooling.set(participationId, this.now() + ABUSE_COOLDOWN_MS);
  }

  /** Charges an upgrade; answers why it may not connect now, or null. */
  refusal(participationId: string, address: { ip: string | null; block: string | null }): string | null {
    const until = this.cooling.get(participationId);
    if (until !== undefined && this.now() < until) return "closed for flooding; wait a minute";
    if (until !== undefined) this.cooling.delete(participationId);
    const participant = this.byParticipant.take(participationId);
    const ip = address.ip ? this.byAddress.take(address.ip) : "ok";
    const block = address.block ? this.byBlock.take(address.block) : "ok";
    if (participant !== "ok") return "too many connections for one participant; wait a minute";
    if (ip !== "ok" || block !== "ok") return "too many connections from your network; wait a minute";
    return null;
  }
}
