// The Worker's bindings, as seen by tests through `env` from cloudflare:test.
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
