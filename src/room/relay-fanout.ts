// The room's side of its relays: which relays may hold sockets (kept in the
// room's storage, so a room that wakes from hibernation still feeds them), one
// ordered queue per relay (a batch goes out once the one before it arrived, so
// every relay sees the room's order), and what the relays last reported.
import type { Channel } from "../protocol";
import { errorText, logEvent } from "../platform/log";
import { relaySocketOf, type Delivery } from "./send-pipeline";
import type { RelayRpc } from "./rpc";
import { relayName, type RelayBatch, type RelayItem, type RelayMessage, type RelayReport } from "./relay-protocol";

/** Storage key of the relays the room feeds and their last reports. */
const RELAYS_KEY = "relays";
/** Tries per batch before a relay is given up on for it (the relay then heals the gap from the room's backlog). */
const DELIVERY_TRIES = 3;
const RETRY_MS = 200;
/** A relay that reported no sockets is dropped only this long after the room last sent it one. */
const PLACEMENT_GRACE_MS = 60_000;


interface Stored {
  reports: Record<number, RelayReport>;
  /** Upgrades placed on each relay since it was first used (never reset: the relay counts arrivals alike). */
  placed?: Record<number, number>;
}

export interface FanoutDeps {
  code: string;
  storage: DurableObjectStorage;
  stub(name: string): RelayRpc;
  /** The back room's members now (participation ids), for relays to filter back-room items by. */
  backroomMembers(): Promise<string[]>;
  now(): number;
  /** A relay's report changed the room's presence count. */
  presenceChanged(): void;
}

export class RelayFanout {
  private stored: Stored = { reports: {} };
  private readonly queues = new Map<number, RelayItem[]>();
  private readonly draining = new Set<number>();
  private readonly placedAt = new Map<number, number>();

  constructor(private readonly deps: FanoutDeps) {}

  /** Reads the relays fed before a restart (in the room's blockConcurrencyWhile). */
  async load(): Promise<void> {
    this.stored = (await this.deps.storage.get<Stored>(RELAYS_KEY)) ?? { reports: {} };
  }

  /**
   * The relay a new socket goes to becomes fed from now on (before the socket reaches it, so it
   * misses nothing), and the socket counts towards the room's cap from now on (see sockets()).
   */
  place(index: number): string {
    this.placedAt.set(index, this.deps.now());
    this.stored.reports[index] ??= { participants: 0, sockets: 0, arrived: this.placed(index) };
    (this.stored.placed ??= {})[index] = this.placed(index) + 1;
    this.save();
    return relayName(this.deps.code, index);
  }

  /** Participants on all relays (one on two relays counts twice: a presence count, not a roster). */
  participants(): number {
    return Object.values(this.stored.reports).reduce((n, r) => n + r.participants, 0);
  }

  /**
   * Sockets the relays hold, as far as the room can know: what each reported, plus what it placed
   * there since that the report had not seen arrive. Never fewer than are open, so the room's cap
   * holds while sockets are on their way; a slot comes back with the relay's next report.
   */
  sockets(): number {
    return Object.entries(this.stored.reports).reduce((n, [index, r]) => n + r.sockets + Math.max(0, this.placed(Number(index)) - (r.arrived ?? 0)), 0);
  }

  private placed(index: number): number {
    return this.stored.placed?.[index] ?? 0;
  }

  report(index: number, report: RelayReport): void {
    const before = this.stored.reports[index];
    const recentlyPlaced = this.deps.now() - (this.placedAt.get(index) ?? 0) < PLACEMENT_GRACE_MS;
    const settled = report.sockets === 0 && (report.arrived ?? 0) >= this.placed(index);
    if (settled && !recentlyPlaced) delete this.stored.reports[index];
    else this.stored.reports[index] = report;
    this.save();
    if (before?.participants !== report.participants) this.deps.presenceChanged();
  }

  /** Each relay gets the channel's stored messages; the sender's relay learns which socket gets the acknowledged copy. */
  messages(channel: Channel, deliveries: Delivery[]): void {
    for (const index of this.indexes()) {
      const messages: RelayMessage[] = [];
      for (const d of deliveries) {
        const from = relaySocketOf(d.origin);
        const ack = d.clientId && from?.relay === index ? { socket: from.socket, clientId: d.clientId } : undefined;
        if (d.onlyAck && !ack) continue;
        messages.push({ message: d.message, ...(ack ? { ack } : {}), ...(d.onlyAck ? { onlyAck: true } : {}) });
      }
      if (messages.length > 0) this.enqueue(index, { kind: "messages", channel, messages });
    }
  }

  /** A frame for every relay socket that may see the channel ("all": every socket). */
  frame(channel: Channel | "all", frame: string): void {
    for (const index of this.indexes()) this.enqueue(index, { kind: "frame", channel, frame });
  }

  /** Kicks these participants' sockets on every relay; answers how many closed. */
  kick(participationIds: string[]): Promise<number> {
    return this.closeOnEveryRelay("kick", (relay) => relay.kick(this.deps.code, participationIds));
  }

  /** Closes the sockets of a login that ended on every relay; answers how many closed. */
  endLogin(authSessionId: string): Promise<number> {
    return this.closeOnEveryRelay("end_login", (relay) => relay.endLogin(this.deps.code, authSessionId));
  }

  private async closeOnEveryRelay(what: string, close: (relay: RelayRpc) => Promise<number>): Promise<number> {
    const counts = await Promise.all(
      this.indexes().map((index) =>
        close(this.deps.stub(relayName(this.deps.code, index))).catch((e) => {
          logEvent("relay_close_failed", { room: this.deps.code, relay: index, what, error: errorText(e) });
          return 0;
        }),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  private indexes(): number[] {
    return Object.keys(this.stored.reports).map(Number);
  }

  private enqueue(index: number, item: RelayItem) {
    let queue = this.queues.get(index);
    if (!queue) this.queues.set(index, (queue = []));
    queue.push(item);
    if (!this.draining.has(index)) void this.drain(index);
  }

  /** Sends the relay's queue, one batch at a time; what queues meanwhile goes as the next batch. */
  private async drain(index: number) {
    this.draining.add(index);
    const stub = this.deps.stub(relayName(this.deps.code, index));
    try {
      for (;;) {
        const items = this.queues.get(index)?.splice(0) ?? [];
        if (items.length === 0) return;
        const hasBackroom = items.some((i) => i.channel === "backroom");
        const batch: RelayBatch = { room: this.deps.code, items, ...(hasBackroom ? { backroom: await this.members() } : {}) };
        await this.deliver(stub, index, batch);
      }
    } finally {
      this.draining.delete(index);
    }
  }

  private async deliver(stub: RelayRpc, index: number, batch: RelayBatch) {
    for (let attempt = 1; ; attempt++) {
      try {
        // A refusal is the relay's own judgement (a batch not from its room): retrying changes nothing.
        if (!(await stub.deliver(batch)).ok) logEvent("relay_delivery_refused", { room: this.deps.code, relay: index });
        return;
      } catch (e) {
        if (attempt >= DELIVERY_TRIES) {
          // The relay sees the hole in seq at its next batch and reads it from the room (ChatRelay.heal).
          logEvent("relay_delivery_failed", { room: this.deps.code, relay: index, items: batch.items.length, error: errorText(e) });
          return;
        }
        await new Promise((r) => setTimeout(r, RETRY_MS * attempt));
      }
    }
  }

  /** The back room's members; without them (Postgres away) only the host's sockets get back-room items. */
  private async members(): Promise<string[]> {
    try {
      return await this.deps.backroomMembers();
    } catch (e) {
      logEvent("relay_members_unavailable", { room: this.deps.code, error: errorText(e) });
      return [];
    }
  }

  private save() {
    void this.deps.storage.put(RELAYS_KEY, this.stored);
  }
}
