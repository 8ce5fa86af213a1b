// Starts the local stack once for the whole run (in its own process) and hands
// its addresses to the Worker under test (see vitest.config.ts).
import type { TestProject } from "vitest/node";
import { spawnStack, type SpawnedStack } from "../dev/spawn-stack.ts";
import type { StackBindings } from "../dev/stack.ts";

declare module "vitest" {
  interface ProvidedContext {
    stack: StackBindings;
    stripeApiBase: string;
  }
}

let stack: SpawnedStack | undefined;

export async function setup(project: TestProject) {
  stack = await spawnStack();
  console.log(`[stack] Postgres: ${stack.postgres}`);
  console.log(`[stack] Redis: ${stack.redis}`);
  project.provide("stack", stack.bindings);
  project.provide("stripeApiBase", stack.stripeApiBase);
}

export async function teardown() {
  await stack?.stop();
}
