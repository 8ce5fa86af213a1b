// What every section of the benchmark is handed: the run's options, the local
// stack, the Worker targets it starts (stopped at the end of the run, whatever
// happens), and the stand-ins' latency hooks.
import type { SpawnedStack } from "../dev/spawn-stack.ts";
import { BARE_ROOM_CONFIG, startTarget, type Target } from "./lib.ts";

export interface BenchOptions {
  quick: boolean;
  clients: number;
  senders: number;
  /** Sends each closed-loop sender keeps in flight. */
  window: number;
  /** Seconds measured per run (after its warm-up). */
  seconds: number;
  batchSenders: number;
  historySizes: number[];
  samples: number;
  listeners: number;
}

export class BenchContext {
  private readonly targets: Target[] = [];
  private appTarget: Promise<Target> | null = null;

  readonly opt: BenchOptions;
  readonly stack: SpawnedStack;
  /** The project's Worker vars for a load run: the stack, a bench secret, no send limits. */
  readonly appVars: Record<string, string>;
  readonly log: (line: string) => void;

  // Plain fields, not parameter properties: Node runs these files by stripping types only.
  constructor(opt: BenchOptions, stack: SpawnedStack, appVars: Record<string, string>, log: (line: string) => void) {
    this.opt = opt;
    this.stack = stack;
    this.appVars = appVars;
    this.log = log;
  }

  /** The full pipeline with the run's vars, started once and shared by the sections. */
  app(): Promise<Target> {
    this.appTarget ??= this.start("full pipeline", this.appVars);
    return this.appTarget;
  }

  /** A Worker of the project with other vars, stopped at the end of the run (or earlier by the section). */
  async start(name: string, vars: Record<string, string>): Promise<Target> {
    const t = await startTarget(name, vars);
    this.targets.push(t);
    return t;
  }

  /** The bare broadcast room (bench/bare-room.js): the runtime's own cost, the baseline of the latency sections. */
  async bare(): Promise<Target> {
    const t = await startTarget("bare broadcast", {}, BARE_ROOM_CONFIG);
    this.targets.push(t);
    return t;
  }

  /** Delays every Postgres answer in the local Neon proxy (its test hook), as distance would. */
  async setPostgresLatency(msDelay: number) {
    const proxy = `http://${this.stack.bindings.NEON_WS_PROXY!.replace(/\/v2$/, "")}`;
    await fetch(`${proxy}/__fault/latency?ms=${msDelay}`, { method: "POST" });
  }

  /** Makes Postgres (both of Neon's doors) and Redis answer `msDelay` late: a database that far from the edge. */
  async setDistance(msDelay: number) {
    await this.setPostgresLatency(msDelay);
    const kind = msDelay > 0 ? `latency?ms=${msDelay}` : "up";
    await fetch(`${this.stack.bindings.UPSTASH_REDIS_REST_URL}/__fault/${kind}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${this.stack.bindings.UPSTASH_REDIS_REST_TOKEN}` },
    });
  }

  /** What the stand-ins have served so far: Postgres statements (both of Neon's doors) and connections opened, Upstash requests. */
  async storeCounts(): Promise<{ statements: number; connections: number; upstash: number }> {
    const proxy = `http://${this.stack.bindings.NEON_WS_PROXY!.replace(/\/v2$/, "")}`;
    const pg = (await (await fetch(`${proxy}/__stats`)).json()) as { http_requests: number; ws_round_trips: number; opened: number };
    const upstash = (await (
      await fetch(`${this.stack.bindings.UPSTASH_REDIS_REST_URL}/__stats`, { headers: { Authorization: `Bearer ${this.stack.bindings.UPSTASH_REDIS_REST_TOKEN}` } })
    ).json()) as { requests: number };
    return { statements: pg.http_requests + pg.ws_round_trips, connections: pg.opened, upstash: upstash.requests };
  }

  /** Stops every target still running. */
  async stopAll() {
    for (const t of this.targets) await t.dev.stop();
  }
}

/** A section of the report: its lines, from a run against the context. */
export type Section = (ctx: BenchContext) => Promise<string[]>;
