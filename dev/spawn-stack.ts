// Starts dev/serve-stack.ts as a child process and waits for its addresses.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { StackBindings } from "./stack.ts";

export interface SpawnedStack {
  bindings: StackBindings;
  postgres: string;
  redis: string;
  stripeApiBase: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL("./serve-stack.ts", import.meta.url));

export async function spawnStack(env: NodeJS.ProcessEnv = process.env): Promise<SpawnedStack> {
  const child = spawn(process.execPath, [SCRIPT], { env, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ bindings: StackBindings; postgres: string; redis: string; stripeApiBase: string }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the local stack exited (code ${code}) before it was ready; see the lines above`)));
    lines.on("line", (line) => {
      if (line.startsWith("STACK_READY ")) resolve(JSON.parse(line.slice("STACK_READY ".length)));
      else console.log(line);
    });
  });
  return {
    ...ready,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
