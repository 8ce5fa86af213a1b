// The Worker in wrangler dev, for Node-side tests: started on a free port with
// the local stack's bindings (plus any vars a test needs), driven over HTTP.
import { inject } from "vitest";
import { freePort, startWranglerDev, type WranglerDev } from "../../dev/wrangler-dev.ts";

export { freePort };

export const stack = inject("stack");

export interface TestWorker {
  url: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startTestWorker(vars: Record<string, string> = {}): Promise<TestWorker> {
  const dev: WranglerDev = startWranglerDev({
    port: await freePort(),
    vars: {
      ...stack,
      JWT_SECRET: "node-test-secret-0123456789abcdef",
      STRIPE_WEBHOOK_SECRET: "whsec_node_test_only_0123456789abcdef",
      // Test payments are development only (test/node/secrets.test.ts starts Workers without it).
      LOCAL_DEV: "true",
      ALLOW_TEST_PAYMENTS: "true",
      // Every call here comes from 127.0.0.1 (wrangler dev): the per-IP limits of the API are tested elsewhere.
      RATE_LIMIT_REGISTER: "100000/1 m",
      RATE_LIMIT_LOGIN: "100000/1 m",
      RATE_LIMIT_JOIN: "100000/1 m",
      RATE_LIMIT_CREATE_ROOM: "100000/1 m",
      RATE_LIMIT_LOOKUP: "100000/1 m",
      RATE_LIMIT_NAME_CHECK: "100000/1 m",
      CONNECTS_PER_MINUTE_PER_IP: "100000",
      ...vars,
    },
    stdio: "ignore",
  });
  await dev.ready;
  return {
    url: dev.url,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${dev.url}${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    stop: () => dev.stop(),
  };
}

/** A room with a host and one joined guest. */
export async function roomWithGuest(worker: TestWorker) {
  const rand = crypto.randomUUID().slice(0, 8);
  const { body: acct } = await worker.call("POST", "/api/auth/register/", { email: `n${rand}@example.com`, password: "sturdy-pass-42", reserved_username: `n_${rand}` });
  const { body: room } = await worker.call("POST", "/api/chats/create/", { name: "Node" }, { authorization: `Bearer ${acct.token}` });
  const { body: guest } = await worker.call("POST", `/api/chats/${room.code}/join/`, { username: `g_${rand}`, fingerprint: `fp-${rand}` });
  return { code: room.code as string, sessionToken: guest.session_token as string, hostToken: acct.token as string };
}
