// The typed client as another project gets it: `npm pack` of packages/client, the
// tarball installed into a new project beside TypeScript alone, a strict `tsc`
// (skipLibCheck off) of a program using ChatPopApi and RoomConnection, that program
// run under Node against a running ChatPop Edge (join, connect, a refused send, a
// send and its acknowledgement), and the same program bundled by esbuild for the
// browser and run in Chromium. It fails if the package holds other files, pulls in
// any dependency, or its declarations name another module.
//
//   npm run check:client-package -- --url http://127.0.0.1:8787 [--ignore-scripts] [--keep]
//
// test/node/client-package.test.ts runs it against the test Worker; .ci/run against
// `npm run dev`. --ignore-scripts packs without the prepack build (the tests have just
// built it); --keep leaves the consumer project in place and prints where.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { MODULE_REFERENCE } from "./build-client.ts";
import { jsonArrayIn } from "./json-output.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const PACKAGE = "@chatpop-edge/client";
/** What the tarball holds: the manifest, its README and licence, the script and its declarations. */
export const PACKAGE_FILES = ["LICENSE", "README.md", "dist/index.d.ts", "dist/index.js", "package.json"];
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** What the consumer's program saw, under Node and in the browser alike. */
export interface Outcome {
  room: string;
  username: string;
  refused: string;
  ack: { seq: number; content: string; sameClientId: boolean };
  notFound: string;
}

export interface PackageReport {
  tarball: { file: string; size: number; unpackedSize: number; files: string[] };
  installed: { size: number; tree: string[]; dependencies: string[] };
  declarations: { files: string[]; moduleReferences: string[] };
  tsc: { command: string; output: string };
  tscEsOnly: { command: string; output: string };
  node: Outcome;
  browser: Outcome;
  /** Every way the package differs from what it should be; empty when it is right. */
  problems: string[];
  consumer: string;
}

// The consumer's program. Lines marked @ts-expect-error must be refused by tsc: they
// prove the answers are the routes' own types and not `any`.
const FLOW = `import { ApiFailure, ChatPopApi, RoomConnection, type ChatMessage, type RoomEvents, type Session } from "${PACKAGE}";

function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(\`timed out waiting for \${what}\`)), ms))]);
}

export async function chat(baseUrl: string, code: string, username: string) {
  const api = new ChatPopApi(baseUrl);
  const room = await api.room(code);
  const session: Session = await api.join(code, { username, fingerprint: \`fp-\${username}\` });
  // @ts-expect-error is_host is a boolean in the join route's answer
  const isHostAsNumber: number = session.is_host;
  // @ts-expect-error a join needs a username
  const noName = () => api.join(code, { fingerprint: "x" });
  void [isHostAsNumber, noName];

  const conn = new RoomConnection({ baseUrl, code, sessionToken: session.session_token });
  try {
    const opened = new Promise<void>((resolve) => conn.on("status", (e) => e.status === "open" && resolve()));
    conn.connect();
    await within(15_000, "the socket to open", opened);

    const refusal = new Promise<RoomEvents["error"]>((resolve) => conn.on("error", resolve));
    conn.send("   ");
    const refused = (await within(10_000, "the refusal of a blank send", refusal)).code;

    let clientId = "";
    const acked = new Promise<ChatMessage>((resolve) => conn.on("message", (m) => m.client_id === clientId && resolve(m)));
    clientId = conn.send("hello from a package");
    const ack = await within(10_000, "the send's acknowledgement", acked);
    // @ts-expect-error a message's seq is a number
    const seqAsText: string = ack.seq;
    void seqAsText;

    let notFound = "";
    try {
      await api.room("nosuchroom");
    } catch (e) {
      if (e instanceof ApiFailure) notFound = e.code;
    }
    return {
      room: room.name,
      username: session.username,
      refused,
      ack: { seq: ack.seq, content: ack.content, sameClientId: ack.client_id === clientId },
      notFound,
    };
  } finally {
    conn.close();
  }
}
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib: ["es2022", "dom"],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    outDir: "out",
    rootDir: ".",
  },
  include: ["main.ts", "flow.ts", "browser.ts"],
};

/** npm as a user runs it: none of the npm_* settings this script may have been started with. */
function npm(args: string[], cwd: string): string {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_(config|package|lifecycle)_/i.test(k) || /^npm_config_cache$/i.test(k)),
  ) as NodeJS.ProcessEnv;
  return execFileSync("npm", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Node with a global WebSocket (22 or newer): this one, or the project's pinned Node. */
function node22(): string {
  return Number(process.versions.node.split(".")[0]) >= 22 ? process.execPath : join(root, "node_modules/node/bin/node");
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function tsc(consumer: string, args: string[]): { command: string; output: string } {
  const command = `npx tsc ${args.join(" ")}`;
  try {
    const output = execFileSync(node22(), [join(consumer, "node_modules/typescript/bin/tsc"), ...args], { cwd: consumer, encoding: "utf8" });
    return { command, output: output.trim() };
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? String(e);
    throw new Error(`the consumer's ${command} failed:\n${out}`);
  }
}

/** A host, and a room for the consumer's program to join. */
async function hostedRoom(url: string): Promise<string> {
  const rand = crypto.randomUUID().slice(0, 8);
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(new URL(path, url), { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const data = (await res.json()) as Record<string, any>;
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status} ${data.code}: ${data.error}`);
    return data;
  };
  const acct = await post("/api/auth/register/", { email: `pkg${rand}@example.com`, password: "sturdy-pass-42", reserved_username: `pkg_${rand}` });
  const room = await post("/api/chats/create/", { name: "Package check" }, { authorization: `Bearer ${acct.token}` });
  return room.code as string;
}

async function inChromium(url: string, script: string, code: string, username: string): Promise<Outcome> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
  try {
    // The site's own origin, so the API needs no CORS grant; its CSP is for the site's app, not this script.
    const page = await (await browser.newContext({ bypassCSP: true })).newPage();
    await page.goto(`${url}/api/health/`);
    await page.addScriptTag({ content: script });
    return (await page.evaluate(([u, c, n]) => (globalThis as unknown as { chatpopCheck: (...a: string[]) => Promise<Outcome> }).chatpopCheck(u!, c!, n!), [url, code, username])) as Outcome;
  } finally {
    await browser.close();
  }
}

export async function checkClientPackage(opts: { url: string; ignoreScripts?: boolean; keep?: boolean; log?: (line: string) => void }): Promise<PackageReport> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const url = opts.url.replace(/\/$/, "");
  const consumer = mkdtempSync(join(tmpdir(), "chatpop-consumer-"));
  const problems: string[] = [];
  try {
    log(`[package] 1/6 npm pack ${PACKAGE}${opts.ignoreScripts ? " (--ignore-scripts: built already)" : " (prepack builds it)"}`);
    const packOutput = npm(["pack", "--json", "--pack-destination", consumer, "-w", PACKAGE, ...(opts.ignoreScripts ? ["--ignore-scripts"] : [])], root);
    const packed = jsonArrayIn(packOutput)?.[0] as { filename: string; size: number; unpackedSize: number; files: { path: string }[] } | undefined;
    if (!packed) throw new Error(`npm pack printed no JSON list of what it packed:\n${packOutput}`);
    const files = packed.files.map((f) => f.path).sort();
    if (JSON.stringify(files) !== JSON.stringify(PACKAGE_FILES)) problems.push(`the tarball holds ${files.join(", ")}; expected ${PACKAGE_FILES.join(", ")}`);

    log(`[package] 2/6 a new project: npm install ${packed.filename} typescript`);
    const typescript = (JSON.parse(readFileSync(join(root, "node_modules/typescript/package.json"), "utf8")) as { version: string }).version;
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "chatpop-consumer", private: true, type: "module" }, null, 2));
    npm(["install", "--no-audit", "--no-fund", "--prefer-offline", `./${packed.filename}`, `typescript@${typescript}`], consumer);
    const lock = JSON.parse(readFileSync(join(consumer, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    const tree = Object.keys(lock.packages).filter((p) => p !== "").sort();
    const expectedTree = [`node_modules/${PACKAGE}`, "node_modules/typescript"];
    if (JSON.stringify(tree) !== JSON.stringify(expectedTree)) problems.push(`the install holds ${tree.join(", ")}; expected only ${expectedTree.join(", ")}`);
    const installedDir = join(consumer, "node_modules", PACKAGE);
    const manifest = JSON.parse(readFileSync(join(installedDir, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    const dependencies = ["dependencies", "peerDependencies", "optionalDependencies"].flatMap((k) => Object.keys(manifest[k] ?? {}).map((d) => `${d} (${k})`));
    if (dependencies.length) problems.push(`the package declares dependencies: ${dependencies.join(", ")}`);
    const installedFiles = filesUnder(installedDir);
    const installedSize = installedFiles.reduce((sum, f) => sum + statSync(f).size, 0);

    log("[package] 3/6 its declarations name no other module");
    const declarationFiles = installedFiles.filter((f) => f.endsWith(".d.ts"));
    const moduleReferences = declarationFiles.flatMap((f) => {
      const text = readFileSync(f, "utf8");
      const hits = [...text.matchAll(new RegExp(MODULE_REFERENCE.source, "gm")), ...text.matchAll(/cloudflare:|\b(DurableObject\w*|ExecutionContext|KVNamespace)\b/g)];
      return hits.map((m) => `${relative(installedDir, f)}: ${m[0].trim()}`);
    });
    if (moduleReferences.length) problems.push(`declarations reach past the package: ${moduleReferences.join("; ")}`);

    log("[package] 4/6 the consumer's tsc (strict, skipLibCheck false), and the declarations against the ES library alone");
    const code = await hostedRoom(url);
    const username = `pkg_node_${code.slice(0, 4)}`;
    writeFileSync(join(consumer, "flow.ts"), FLOW);
    writeFileSync(
      join(consumer, "main.ts"),
      `import { chat } from "./flow.js";\n\nconsole.log(JSON.stringify(await chat(${JSON.stringify(url)}, ${JSON.stringify(code)}, ${JSON.stringify(username)})));\n`,
    );
    writeFileSync(
      join(consumer, "browser.ts"),
      `import { chat } from "./flow.js";\n\ndeclare global {\n  interface Window {\n    chatpopCheck: typeof chat;\n  }\n}\nwindow.chatpopCheck = chat;\n`,
    );
    writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    const tscRun = tsc(consumer, ["-p", "tsconfig.json"]);
    writeFileSync(join(consumer, "types-only.ts"), `import type { ChatPopApi, RoomConnection, Room, Session, HistoryPage, Entry, ChatMessage, RoomEvents, WebSocketClass } from "${PACKAGE}";\nexport type Used = [ChatPopApi, RoomConnection, Room, Session, HistoryPage, Entry, ChatMessage, RoomEvents, WebSocketClass];\n`);
    const esOnly = { compilerOptions: { ...CONSUMER_TSCONFIG.compilerOptions, lib: ["es2022"], noEmit: true }, include: ["types-only.ts"] };
    writeFileSync(join(consumer, "tsconfig.es-only.json"), JSON.stringify(esOnly, null, 2));
    const tscEsOnly = tsc(consumer, ["-p", "tsconfig.es-only.json"]);

    log(`[package] 5/6 under Node ${execFileSync(node22(), ["--version"], { encoding: "utf8" }).trim()} against ${url}: join, connect, a refused send, a send and its acknowledgement`);
    const nodeOutcome = JSON.parse(execFileSync(node22(), ["out/main.js"], { cwd: consumer, encoding: "utf8", timeout: 60_000 })) as Outcome;

    log("[package] 6/6 bundled by esbuild for the browser, run in Chromium");
    const bundle = await build({ absWorkingDir: consumer, entryPoints: ["browser.ts"], bundle: true, platform: "browser", format: "iife", target: "es2022", write: false, logLevel: "warning" });
    const script = bundle.outputFiles[0]!.text;
    const browserOutcome = await inChromium(url, script, code, `pkg_web_${code.slice(0, 4)}`);

    return {
      tarball: { file: packed.filename, size: packed.size, unpackedSize: packed.unpackedSize, files },
      installed: { size: installedSize, tree, dependencies },
      declarations: { files: declarationFiles.map((f) => relative(installedDir, f)), moduleReferences },
      tsc: tscRun,
      tscEsOnly,
      node: nodeOutcome,
      browser: browserOutcome,
      problems,
      consumer,
    };
  } finally {
    if (opts.keep) log(`[package] the consumer project is at ${consumer}`);
    else rmSync(consumer, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { url: { type: "string", default: "http://127.0.0.1:8787" }, "ignore-scripts": { type: "boolean" }, keep: { type: "boolean" } } });
  const report = await checkClientPackage({ url: values.url!, ignoreScripts: values["ignore-scripts"], keep: values.keep });
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`\n${PACKAGE}: ${report.tarball.file}, ${kb(report.tarball.size)} packed, ${kb(report.installed.size)} installed`);
  console.log(`  files:         ${report.tarball.files.join(", ")}`);
  console.log(`  dependencies:  ${report.installed.dependencies.length ? report.installed.dependencies.join(", ") : "none"} (installed tree: ${report.installed.tree.join(", ")})`);
  console.log(`  declarations:  ${report.declarations.files.join(", ")}, naming no other module`);
  console.log(`  $ ${report.tsc.command}\n    ${report.tsc.output || "(no errors)"}`);
  console.log(`  $ ${report.tscEsOnly.command}\n    ${report.tscEsOnly.output || "(no errors)"}`);
  console.log(`  node:     ${JSON.stringify(report.node)}`);
  console.log(`  chromium: ${JSON.stringify(report.browser)}`);
  const wrong = [...report.problems];
  for (const [where, o] of [["node", report.node], ["chromium", report.browser]] as const) {
    if (o.refused !== "MESSAGE_EMPTY" || !o.ack.sameClientId || o.ack.content !== "hello from a package" || o.notFound !== "ROOM_NOT_FOUND") wrong.push(`${where}: unexpected outcome`);
  }
  if (wrong.length) {
    console.error(`\nclient package check failed:\n  ${wrong.join("\n  ")}`);
    process.exit(1);
  }
  console.log("\nclient package check passed");
}
