// Runs the Worker with `wrangler dev` against given bindings: used by
// `npm run dev` and by the tests that drive the Worker from Node (the CLI tests).
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** A loopback port free right now, for a server about to start. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface WranglerDev {
  url: string;
  child: ChildProcess;
  /** Resolves once the Worker answers HTTP; rejects if wrangler exits first or it takes over two minutes. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function startWranglerDev(opts: { port: number; vars: Record<string, string>; stdio?: StdioOptions; config?: string }): WranglerDev {
  // --test-scheduled: GET /__scheduled runs the Cron Trigger (the retention job) on demand.
  const args = ["dev", "--port", String(opts.port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false", "--test-scheduled"];
  if (opts.config) args.push("--config", opts.config);
  // Settings and secrets go through a private env file, not `--var` arguments that `ps` would show.
  // A developer's own .dev.vars comes last, so its secrets win over the defaults.
  const varsDir = mkdtempSync(join(tmpdir(), "chatpop-dev-vars-"));
  const varsFile = join(varsDir, "dev.env");
  writeFileSync(varsFile, envFileText(opts.vars), { mode: 0o600 });
  args.push("--env-file", varsFile);
  if (existsSync(`${root}/.dev.vars`)) args.push("--env-file", `${root}/.dev.vars`);
  // This Node (22, from the project) runs wrangler, whatever `node` is first on PATH. Offline, it must
  // not try to download Cloudflare's Request.cf sample on every start (its built-in fallback is used).
  const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  const child = spawn(process.execPath, [`${root}/node_modules/wrangler/bin/wrangler.js`, ...args], { cwd: root, stdio: opts.stdio ?? "inherit", env });
  child.once("exit", () => rmSync(varsDir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${opts.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`wrangler dev exited (code ${code}) before the Worker was ready`))),
  );
  exited.catch(() => {});
  const ready = Promise.race([
    (async () => {
      for (let tries = 0; tries < 240; tries++) {
        try {
          if ((await fetch(`${url}/`)).ok) return;
        } catch {
          // not up yet
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error("the Worker did not answer within two minutes");
    })(),
    exited,
  ]);
  return {
    url,
    child,
    ready,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      await gone;
    },
  };
}

/** KEY='value' lines: dotenv takes single-quoted values literally, so only ' and line breaks need refusing. */
function envFileText(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => {
      if (/['\r\n]/.test(v)) throw new Error(`${k} cannot contain a quote or a line break`);
      return `${k}='${v}'\n`;
    })
    .join("");
}

/**
 * Settings for a local load run (the benchmark, the soak): development secrets allowed, and the
 * per-address and per-room limits out of the way, since every simulated client comes from
 * 127.0.0.1 into a few rooms. What a run measures (send limits, for the soak) it sets itself.
 */
export const LOAD_RUN_VARS: Record<string, string> = {
  LOCAL_DEV: "true",
  ANON_JOINS_PER_ROOM_PER_MINUTE: "10000000",
  FRAME_BURST: "10000000",
  FRAME_PER_SECOND: "10000000",
  MAX_SOCKETS_PER_PARTICIPANT: "100000",
  MAX_SOCKETS_PER_IP: "100000",
  CONNECTS_PER_MINUTE: "10000000",
  CONNECTS_PER_MINUTE_PER_IP: "10000000",
  RATE_LIMIT_CREATE_ROOM: "10000000/1 m",
  RATE_LIMIT_REGISTER: "10000000/1 m",
  RATE_LIMIT_LOGIN: "10000000/1 m",
  RATE_LIMIT_JOIN: "10000000/1 m",
};
