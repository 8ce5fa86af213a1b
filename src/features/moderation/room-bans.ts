// The room's ban index, kept in the Durable Object's memory so a ban applies
// at once to open sockets and to every send, without a query per frame.
// It is loaded from Postgres on first use after the object wakes, and kept
// current by the ban and unban routes (enforceBan / liftBan RPCs).
import type { SessionClaims } from "../../domain/tokens";
import { roomBanIndex } from "./queries";
import { errorText, logEvent } from "../../platform/log";
import type { RoomDb } from "../../platform/room-db";
import type { RoomRef } from "../../domain/room-code";


/** What the ban route tells the room after storing a ban. */
export interface BanOrder {
  banId: string;
  /** Epoch ms, or null for a ban without end. */
  expiresAt: number | null;
  participationIds: string[];
  /** A system message to post, when the host chose to announce the removal. */
  announcement: string | null;
}

interface Entry {
  expiresAt: number | null;
  participationIds: Set<string>;
}

export class RoomBans {
  private index: Map<string, Entry> | null = null;
  private loading: Promise<Map<string, Entry>> | null = null;

  constructor(
    private readonly db: RoomDb,
    private readonly room: () => RoomRef,
    /** The room's clock: a ban ends by it, so tests move time instead of waiting. */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether an active ban covers this participant. When the index cannot be
   * loaded, a send is refused by the error (its write would fail anyway), while
   * a connect may choose to let the socket in (failOpen) and check at its first send.
   */
  async covers(claims: SessionClaims, opts: { failOpen?: boolean } = {}): Promise<boolean> {
    let index: Map<string, Entry>;
    try {
      index = this.index ?? (await this.load());
    } catch (e) {
      if (!opts.failOpen) throw e;
      logEvent("ban_index_unavailable", { room: this.room().code, error: errorText(e) });
      return false;
    }
    const now = this.now();
    for (const entry of index.values()) {
      if ((entry.expiresAt === null || entry.expiresAt > now) && entry.participationIds.has(claims.participationId)) return true;
    }
    return false;
  }

  async add(order: BanOrder): Promise<void> {
    const index = this.index ?? (await this.load());
    index.set(order.banId, { expiresAt: order.expiresAt, participationIds: new Set(order.participationIds) });
  }

  remove(banId: string): void {
    this.index?.delete(banId);
  }

  private load(): Promise<Map<string, Entry>> {
    this.loading ??= this.db
      .run((conn) => roomBanIndex(conn, this.room().id))
      .then((rows) => {
        const index = new Map<string, Entry>();
        for (const r of rows) {
          let entry = index.get(r.banId);
          if (!entry) index.set(r.banId, (entry = { expiresAt: r.expiresAt?.getTime() ?? null, participationIds: new Set() }));
          entry.participationIds.add(r.participationId);
        }
        this.index = index;
        return index;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}
