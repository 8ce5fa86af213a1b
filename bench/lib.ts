// What the benchmark's sections and the soak share: the project root, each
// call's own client address, the REST calls that make a room and its
// participants, reading a child process's lines, and the Worker targets the
// bench starts (wrangler dev, and the Worker's own workerd port behind it).
import { execSync, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort, startWranglerDev, type WranglerDev } from "../dev/wrangler-dev.ts";

export const root = fileURLToPath(new URL("..", import.meta.url));

let ipCounter = 0;
/** A client address of its own for each call, as on the real edge (per-address rules apply to each). */
export const nextIp = () => {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

/** A JSON call from a fresh address: answers the parsed body, throws on a refusal. */
export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json", "CF-Connecting-IP": nextIp(), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

/** A new room, hosted by a new account. */
export async function newRoom(base: string): Promise<string> {
  const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(-12);
  const host = await call(base, "POST", "/api/auth/register/", { email: `b${tag}@example.com`, password: "bench-password", reserved_username: `b_${tag}`.slice(0, 15) });
  const room = await call(base, "POST", "/api/chats/create/", { name: "Bench" }, { authorization: `Bearer ${host.token}` });
  return room.code;
}

/** n anonymous participants of the room: their session tokens. */
export async function joinMany(base: string, code: string, n: number): Promise<string[]> {
  const tokens = [];
  for (let i = 0; i < n; i++) {
    const j = await call(base, "POST", `/api/chats/${code}/join/`, { username: `u${i}_${Math.floor(Math.random() * 1e6)}`.slice(0, 15), fingerprint: `bench-${code}-${i}` });
    tokens.push(j.session_token as string);
  }
  return tokens;
}

/** The lines a child process prints, as they arrive (the last one once its newline comes). */
export function linesOf(child: ChildProcess): string[] {
  const lines: string[] = [];
  let buffered = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += String(d);
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  return lines;
}

/** Whether `pid` descends from `ancestor` (Linux /proc). */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
    if (p === ancestor) return true;
    try {
      p = Number(readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
    } catch {
      return false;
    }
  }
  return false;
}

/** CPU seconds the workerd processes under this wrangler dev have used so far (Linux /proc). */
export function workerdCpuSeconds(dev: WranglerDev): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (!stat.includes("(workerd)") || !descendsFrom(Number(entry), dev.child.pid!)) continue;
      const fields = stat.split(") ")[1]!.split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** The Worker's own workerd port under this wrangler dev (not its proxy's): the path without the dev proxy. */
async function directUrl(dev: WranglerDev, proxyPort: number, marker: string): Promise<string | null> {
  try {
    const out = execSync("ss -ltnp", { encoding: "utf8" });
    const ports = [...out.matchAll(/127\.0\.0\.1:(\d+)\s.*"workerd",pid=(\d+)/g)]
      .filter((m) => descendsFrom(Number(m[2]), dev.child.pid!))
      .map((m) => Number(m[1]))
      .filter((p) => p !== proxyPort);
    for (const p of ports) {
      try {
        const res = await fetch(`http://127.0.0.1:${p}${marker === "bare" ? "/" : "/api/"}`, { signal: AbortSignal.timeout(1000) });
        const text = await res.text();
        if (text.includes(marker)) return `http://127.0.0.1:${p}`;
      } catch {
        // not this one
      }
    }
  } catch {
    // no ss: fall back to the proxy
  }
  return null;
}

export interface Target {
  name: string;
  dev: WranglerDev;
  proxy: string;
  direct: string | null;
  /** The fastest path found for this target. */
  url: string;
}

/** A Worker under wrangler dev with these vars (`config`: another wrangler.toml, e.g. the bare room's). */
export async function startTarget(name: string, vars: Record<string, string>, config?: string): Promise<Target> {
  const port = await freePort();
  const dev = startWranglerDev({ port, vars, stdio: "ignore", config });
  await dev.ready;
  const direct = await directUrl(dev, port, config ? "bare" : '"chatpop-edge"');
  return { name, dev, proxy: dev.url, direct, url: direct ?? dev.url };
}

export const BARE_ROOM_CONFIG = `${root}bench/bare.wrangler.toml`;
