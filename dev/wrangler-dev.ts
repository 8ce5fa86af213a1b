// Runs the Worker with `wrangler dev` against given bindings: used by
// `npm run dev` and by the tests that drive the Worker from Node (the CLI tests).
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { createServer } from "node:net";
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
  const args = ["dev", "--port", String(opts.port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"];
  if (opts.config) args.push("--config", opts.config);
  for (const [k, v] of Object.entries(opts.vars)) args.push("--var", `${k}:${v}`);
  // This Node (22, from the project) runs wrangler, whatever `node` is first on PATH.
  const child = spawn(process.execPath, [`${root}/node_modules/wrangler/bin/wrangler.js`, ...args], { cwd: root, stdio: opts.stdio ?? "inherit", env: process.env });
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
