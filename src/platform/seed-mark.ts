// What Postgres fills once in a room's life (the room's own storage, room-seed.ts;
// its copy of its participations, room-participants.ts): a mark in the room's
// storage says it is filled. Until then the first need runs the fill, one at a
// time, and a fill that fails (Postgres away) is tried again at the next need.
export class SeedMark {
  private done = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly key: string,
    private readonly fill: () => Promise<void>,
  ) {}

  /** Reads the mark (on wake). */
  async load(): Promise<void> {
    this.done = (await this.storage.get<boolean>(this.key)) === true;
  }

  /** Filled from now on (after the fill, or for a room just created, which has nothing to fill from). */
  markDone(): void {
    void this.storage.put(this.key, true);
    this.done = true;
  }

  /** null once filled; otherwise the fill under way (started if none is), which throws while it cannot run. */
  pending(): Promise<void> | null {
    if (this.done) return null;
    this.running ??= this.fill()
      .then(() => this.markDone())
      .finally(() => (this.running = null));
    return this.running;
  }
}
