// `npm run soak -- --rooms 20 --clients 25 --seconds 60 [--rate 0.5] [--relays 2]`
// Drives the local stack (the same one `npm run dev` runs, started here on
// loopback) with many rooms of WebSocket clients that all send and listen,
// then checks that every message reached every member of its room exactly
// once and in order, and that each room's history holds exactly what was
// sent. Prints a report, writes it to bench/results/, and exits 1 on any loss,
// duplicate, reordering or history mismatch. With --relays K, every room's
// sockets after its first two live on K relays (docs/ARCHITECTURE.md, Big rooms).
// SOAK_WORKER_LOGS=1 prints the Worker's log lines (one JSON line per event).
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { spawnStack } from "../dev/spawn-stack.ts";
import { LOAD_RUN_VARS, freePort, startWranglerDev } from "../dev/wrangler-dev.ts";
import { call as callApi, root } from "./lib.ts";

const { values } = parseArgs({
  options: {
    rooms: { type: "string", default: "20" },
    clients: { type: "string", default: "25" },
    seconds: { type: "string", default: "60" },
    rate: { type: "string", default: "0.5" },
    relays: { type: "string", default: "0" },
  },
});
const bounded = (name: string, text: string, min: number, max: number) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}.`);
    process.exit(2);
  }
  return n;
};
const ROOMS = Math.floor(bounded("rooms", values.rooms!, 1, 200));
const CLIENTS = Math.floor(bounded("clients", values.clients!, 2, 100));
const SECONDS = bounded("seconds", values.seconds!, 1, 600);
const RATE = bounded("rate", values.rate!, 0.05, 20); // messages per second per client
const RELAYS = Math.floor(bounded("relays", values.relays!, 0, 16));

const log = (line: string) => console.log(`[soak] ${line}`);
let finished = false;

interface ClientState {
  room: number;
  index: number;
  ws: WebSocket;
  sent: number;
  received: Map<string, number>; // message id → times received
  lastSeq: number;
  outOfOrder: number;
  errors: Map<string, number>; // error frame code → count
  reconnects: number;
}

log(`starting the local stack and the Worker (loopback only)…`);
const stack = await spawnStack();
const port = await freePort();
const worker = startWranglerDev({
  port,
  stdio: process.env.SOAK_WORKER_LOGS ? "inherit" : "ignore",
  vars: {
    ...stack.bindings,
    JWT_SECRET: "soak-only-secret-0123456789abcdef",
    ...LOAD_RUN_VARS,
    MAX_SOCKETS_PER_IP: "1000",
    ...(RELAYS > 0 ? { RELAY_COUNT: String(RELAYS), RELAY_AFTER_SOCKETS: "2" } : {}),
  },
});
let exitCode = 0;
try {
  await worker.ready;
  const base = worker.url;
  // Each client its own address, as on the real edge (the anonymous-per-IP rule applies).
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callApi(base, method, path, body, headers);

  log(`creating ${ROOMS} rooms with ${CLIENTS} clients each…`);
  const codes: string[] = [];
  const clients: ClientState[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const tag = `${Date.now().toString(36)}${r}`.slice(-10);
    const host = await call("POST", "/api/auth/register/", { email: `soak-${tag}@example.com`, password: "soak-password", reserved_username: `soak_${tag}`.slice(0, 15) });
    const room = await call("POST", "/api/chats/create/", { name: `Soak ${r}` }, { authorization: `Bearer ${host.token}` });
    codes.push(room.code);
    for (let c = 0; c < CLIENTS; c++) {
      const joined = await call("POST", `/api/chats/${room.code}/join/`, { username: `user_${r}_${c}`.slice(0, 15), fingerprint: `soak-${tag}-${c}` });
      const url = `${base.replace("http", "ws")}/ws/chat/${room.code}/?session_token=${encodeURIComponent(joined.session_token)}`;
      const state: ClientState = { room: r, index: c, ws: null as unknown as WebSocket, sent: 0, received: new Map(), lastSeq: 0, outOfOrder: 0, errors: new Map(), reconnects: 0 };
      // A dropped socket (a Worker reload, a restart) comes back with last_seq, as a real client would.
      const open = (lastSeq: number | null) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(lastSeq === null ? url : `${url}&last_seq=${lastSeq}`);
          state.ws = ws;
          ws.addEventListener("message", (e) => {
            const f = JSON.parse(String(e.data));
            if (f.type === "error") state.errors.set(f.code, (state.errors.get(f.code) ?? 0) + 1);
            if (f.type !== "message") return;
            state.received.set(f.id, (state.received.get(f.id) ?? 0) + 1);
            if (f.seq <= state.lastSeq) state.outOfOrder++;
            state.lastSeq = Math.max(state.lastSeq, f.seq);
          });
          ws.addEventListener("close", () => {
            if (finished) return;
            state.reconnects++;
            setTimeout(() => void open(state.lastSeq).catch(() => {}), 200);
          });
          ws.addEventListener("open", () => resolve());
          ws.addEventListener("error", () => reject(new Error(`socket ${r}/${c} failed to open`)));
        });
      await open(null);
      clients.push(state);
    }
    if ((r + 1) % 5 === 0 || r === ROOMS - 1) log(`  ${r + 1}/${ROOMS} rooms ready`);
  }

  log(`sending for ${SECONDS} s at ${RATE} msg/s per client (${Math.round(ROOMS * CLIENTS * RATE)} msg/s in all)…`);
  const started = Date.now();
  const timers = clients.map((s) =>
    setInterval(() => {
      // A send on a socket that is down is not made (the user would see it fail), so it is not counted.
      if (s.ws.readyState !== WebSocket.OPEN) return;
      s.sent++;
      s.ws.send(JSON.stringify({ message: `r${s.room} c${s.index} n${s.sent}`, client_id: `${s.room}-${s.index}-${s.sent}` }));
    }, 1000 / RATE),
  );
  const progress = setInterval(() => {
    const sent = clients.reduce((n, s) => n + s.sent, 0);
    const delivered = clients.reduce((n, s) => n + s.received.size, 0);
    const errors = clients.reduce((n, s) => n + [...s.errors.values()].reduce((a, b) => a + b, 0), 0);
    log(`  t=${Math.round((Date.now() - started) / 1000)}s sent=${sent} delivered=${delivered} error frames=${errors}`);
  }, 5000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  timers.forEach(clearInterval);

  // Let the last sends arrive everywhere (or give up after 30 s: what is missing then is lost).
  const sentPerRoom = codes.map((_, r) => clients.filter((s) => s.room === r).reduce((n, s) => n + s.sent, 0));
  const settleBy = Date.now() + 30_000;
  while (Date.now() < settleBy && clients.some((s) => s.received.size < sentPerRoom[s.room]!)) await new Promise((r) => setTimeout(r, 250));
  clearInterval(progress);

  finished = true;
  log("checking every room's history…");
  const rows: { room: string; clients: number; sent: number; expected: number; delivered: number; lost: number; duplicated: number; out_of_order: number; history: number }[] = [];
  for (const [r, code] of codes.entries()) {
    const members = clients.filter((s) => s.room === r);
    const sent = sentPerRoom[r]!;
    const expected = sent * members.length;
    const delivered = members.reduce((n, s) => n + s.received.size, 0);
    const duplicated = members.reduce((n, s) => n + [...s.received.values()].reduce((d, times) => d + times - 1, 0), 0);
    const outOfOrder = members.reduce((n, s) => n + s.outOfOrder, 0);
    // Postgres gets a message one round trip after its broadcast (room commit): give the last flush a moment.
    let history = 0;
    for (const waitUntil = Date.now() + 10_000; ; ) {
      history = 0;
      let before: string | null = null;
      for (;;) {
        const page: any = await call("GET", `/api/chats/${code}/messages/?limit=100${before ? `&before=${encodeURIComponent(before)}` : ""}`);
        history += page.messages.length;
        if (!page.has_more) break;
        before = page.next_before;
      }
      if (history === sent || Date.now() > waitUntil) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    rows.push({ room: code, clients: members.length, sent, expected, delivered, lost: expected - delivered, duplicated, out_of_order: outOfOrder, history });
    members.forEach((s) => s.ws.close());
  }

  const total = (k: keyof (typeof rows)[number]) => rows.reduce((n, row) => n + Number(row[k]), 0);
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    rooms: ROOMS,
    clients_per_room: CLIENTS,
    seconds: SECONDS,
    rate_per_client: RATE,
    sent: total("sent"),
    deliveries_expected: total("expected"),
    delivered: total("delivered"),
    lost: total("lost"),
    duplicated: total("duplicated"),
    out_of_order: total("out_of_order"),
    history_mismatches: rows.filter((row) => row.history !== row.sent).length,
    deliveries_per_second: Math.round(total("delivered") / seconds),
  };
  const errorCodes = new Map<string, number>();
  for (const s of clients) for (const [code, n] of s.errors) errorCodes.set(code, (errorCodes.get(code) ?? 0) + n);
  const lines = [
    `# Soak ${new Date().toISOString()}`,
    "",
    `${ROOMS} rooms × ${CLIENTS} clients${RELAYS > 0 ? ` (all but 2 per room on ${RELAYS} relays)` : ""}, ${SECONDS} s at ${RATE} msg/s per client, Postgres: ${stack.postgres}, Redis: ${stack.redis}`,
    "",
    "| sent | deliveries expected | delivered | lost | duplicated | out of order | rooms whose history ≠ sent | deliveries/s |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${summary.sent} | ${summary.deliveries_expected} | ${summary.delivered} | ${summary.lost} | ${summary.duplicated} | ${summary.out_of_order} | ${summary.history_mismatches} | ${summary.deliveries_per_second} |`,
    "",
    `Error frames: ${errorCodes.size === 0 ? "none" : [...errorCodes].map(([code, n]) => `${code} × ${n}`).join(", ")}; reconnects (with last_seq): ${clients.reduce((n, s) => n + s.reconnects, 0)}`,
    "",
    "| room | clients | sent | delivered | lost | duplicated | out of order | history |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((row) => `| ${row.room} | ${row.clients} | ${row.sent} | ${row.delivered} | ${row.lost} | ${row.duplicated} | ${row.out_of_order} | ${row.history} |`),
  ];
  console.log(`\n${lines.join("\n")}\n`);
  mkdirSync(`${root}bench/results`, { recursive: true });
  const file = `${root}bench/results/soak-${new Date().toISOString().replace(/[:.]/g, "-")}.md`;
  writeFileSync(file, `${lines.join("\n")}\n\n\`\`\`json\n${JSON.stringify({ summary, rows }, null, 2)}\n\`\`\`\n`);
  log(`report written to ${file.slice(root.length)}`);
  const ok = summary.lost === 0 && summary.duplicated === 0 && summary.out_of_order === 0 && summary.history_mismatches === 0;
  log(ok ? "PASS: nothing lost, duplicated or out of order; every history matches." : "FAIL: see the table above.");
  exitCode = ok ? 0 : 1;
} catch (e) {
  console.error(`[soak] error: ${e instanceof Error ? e.message : String(e)}`);
  exitCode = 1;
} finally {
  await worker.stop();
  await stack.stop();
}
process.exit(exitCode);
