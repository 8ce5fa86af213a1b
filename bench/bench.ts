// `npm run bench [-- --only transport,fanout,… --quick --clients 50 --senders 10
//                    --window 4 --seconds 10 --batch-senders 200
//                    --history 10000,100000,1000000 --samples 40 --listeners 4000]`
// Measures ChatPop Edge on the local stack (real Postgres / Redis when
// DATABASE_URL / REDIS_URL are set), each figure next to a baseline from the
// same run, and writes one markdown report to bench/results/ (printed too).
// One file per section in bench/sections/; bench/README.md says what each
// measures. Loopback only. Goals are reported, never asserted.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { spawnStack } from "../dev/spawn-stack.ts";
import { LOAD_RUN_VARS } from "../dev/wrangler-dev.ts";
import { BenchContext, type Section } from "./context.ts";
import { root } from "./lib.ts";
import { transport } from "./sections/transport.ts";
import { fanoutSection } from "./sections/fanout.ts";
import { historySection } from "./sections/history.ts";
import { backfillSection } from "./sections/backfill.ts";
import { distanceSection, openLoopSection } from "./sections/distance.ts";
import { bigRoomSection } from "./sections/big-room.ts";
import { floodSection } from "./sections/flood.ts";
import { hotPathSection } from "./sections/hot-path.ts";
import { wokenSection } from "./sections/woken.ts";

/** Every section, in the report's order; `--only` picks some by name. */
const SECTIONS: Record<string, Section> = {
  transport,
  fanout: fanoutSection,
  history: historySection,
  backfill: backfillSection,
  distance: distanceSection,
  "open-loop": openLoopSection,
  "hot-path": hotPathSection,
  woken: wokenSection,
  "big-room": bigRoomSection,
  flood: floodSection,
};

const { values: opt } = parseArgs({
  options: {
    clients: { type: "string", default: "50" },
    senders: { type: "string", default: "10" },
    window: { type: "string", default: "4" },
    seconds: { type: "string", default: "10" },
    "batch-senders": { type: "string", default: "200" },
    history: { type: "string", default: "10000,100000,1000000" },
    samples: { type: "string", default: "40" },
    listeners: { type: "string", default: "4000" },
    quick: { type: "boolean", default: false },
    only: { type: "string", default: "" },
  },
});
const log = (line: string) => console.log(`[bench] ${line}`);

const chosen = opt.only ? opt.only.split(",").map((s) => s.trim()) : Object.keys(SECTIONS);
const unknown = chosen.filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  console.error(`[bench] no section named ${unknown.join(", ")}; the sections are: ${Object.keys(SECTIONS).join(", ")}.`);
  process.exit(2);
}

async function main(): Promise<number> {
  const quick = opt.quick!;
  const started = Date.now();
  log("starting the local stack…");
  const stack = await spawnStack();
  const ctx = new BenchContext(
    {
      quick,
      clients: Number(opt.clients),
      senders: Number(opt.senders),
      window: Number(opt.window),
      seconds: quick ? 3 : Number(opt.seconds),
      batchSenders: Number(opt["batch-senders"]),
      historySizes: quick ? [1000, 10000] : opt.history!.split(",").map(Number),
      samples: quick ? 10 : Number(opt.samples),
      listeners: quick ? 400 : Number(opt.listeners),
    },
    stack,
    { ...stack.bindings, JWT_SECRET: "bench-only-secret-0123456789abcdef", ...LOAD_RUN_VARS, SEND_BURST: "10000000", SEND_PER_SECOND: "10000000" },
    log,
  );
  const report = [
    `# ChatPop Edge benchmark${opt.only ? ` (${chosen.join(", ")})` : ""} — ${new Date().toISOString()}`,
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}.`,
    `Versions: Node ${process.version}, wrangler ${version("wrangler")}, workerd ${version("workerd")}; Postgres: ${stack.postgres}; Redis: ${stack.redis}.`,
    `Settings: ${ctx.opt.seconds} s measured per run${quick ? " (--quick)" : ""}. Ratios compare figures from this same run.`,
  ];
  try {
    for (const [i, name] of chosen.entries()) {
      log(`section ${i + 1}/${chosen.length}: ${name}`);
      report.push("", ...(await SECTIONS[name]!(ctx)));
    }
    report.push("", `Run time: ${Math.round((Date.now() - started) / 1000)} s.`);
    writeReport(report.join("\n"));
    return 0;
  } catch (e) {
    console.error(`[bench] error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  } finally {
    await ctx.stopAll();
    await stack.stop();
  }
}

function version(pkg: string): string {
  return JSON.parse(readFileSync(`${root}node_modules/${pkg}/package.json`, "utf8")).version;
}

function writeReport(text: string) {
  console.log(`\n${text}\n`);
  mkdirSync(`${root}bench/results`, { recursive: true });
  const file = `${root}bench/results/bench-${new Date().toISOString().replace(/[:.]/g, "-")}.md`;
  writeFileSync(file, `${text}\n`);
  log(`report written to ${file.slice(root.length)}`);
}

process.exit(await main());
