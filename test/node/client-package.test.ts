// The typed client as a user gets it (dev/check-client-package.ts): `npm pack` of
// packages/client, the tarball installed into a new project beside TypeScript
// alone, a strict tsc of a program using ChatPopApi and RoomConnection, and that
// program run against the Worker under Node and, bundled by esbuild, in Chromium.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODULE_REFERENCE } from "../../dev/build-client.ts";
import { checkClientPackage, PACKAGE_FILES, type PackageReport } from "../../dev/check-client-package.ts";
import { startTestWorker, type TestWorker } from "./worker.ts";

let worker: TestWorker;
let report: PackageReport;

beforeAll(async () => {
  worker = await startTestWorker();
  // pretest has just built packages/client/dist: packing skips the prepack build, so the
  // other tests importing the package never see its files rewritten under them.
  report = await checkClientPackage({ url: worker.url, ignoreScripts: true, log: () => {} });
}, 300_000);

afterAll(async () => {
  await worker?.stop();
});

describe("@chatpop-edge/client, packed and installed in a clean project", () => {
  it("packs its script, its declarations, README, licence and manifest, nothing else", () => {
    expect(report.tarball.files).toEqual(PACKAGE_FILES);
    expect(report.tarball.file).toBe("chatpop-edge-client-0.1.0.tgz");
  });

  it("installs with no dependency of its own: the tree is the package and TypeScript", () => {
    expect(report.installed.dependencies).toEqual([]);
    expect(report.installed.tree).toEqual(["node_modules/@chatpop-edge/client", "node_modules/typescript"]);
  });

  it("declares its types in one file that names no server, Cloudflare or driver module", () => {
    expect(report.declarations.files).toEqual(["dist/index.d.ts"]);
    expect(report.declarations.moduleReferences).toEqual([]);
    expect(report.problems).toEqual([]);
  });

  it("type-checks the consumer strictly with skipLibCheck off, and against the ES library alone", () => {
    // The program holds @ts-expect-error lines: were the answers `any`, tsc would fail on them.
    expect(report.tsc).toEqual({ command: "npx tsc -p tsconfig.json", output: "" });
    expect(report.tscEsOnly).toEqual({ command: "npx tsc -p tsconfig.es-only.json", output: "" });
  });

  it("joins, connects, is refused a blank send and has its send acknowledged, under Node and in Chromium", () => {
    for (const outcome of [report.node, report.browser]) {
      expect(outcome).toMatchObject({ room: "Package check", refused: "MESSAGE_EMPTY", notFound: "ROOM_NOT_FOUND" });
      expect(outcome.ack).toEqual({ seq: expect.any(Number), content: "hello from a package", sameClientId: true });
    }
    expect(report.node.username).toMatch(/^pkg_node_/);
    expect(report.browser.username).toMatch(/^pkg_web_/);
    // Both programs sent into the same room, one after the other.
    expect(report.browser.ack.seq).toBe(report.node.ack.seq + 1);
  });
});

describe("the build's guard against declarations that name a module", () => {
  it.each([
    'import type { AppType } from "../app";',
    'export * from "./protocol";',
    'export { MessageType } from "../protocol";',
    'channel: import("../protocol").Channel;',
    '/// <reference types="@cloudflare/workers-types" />',
    'declare module "cloudflare:workers" {',
  ])("finds %s", (line) => {
    expect(MODULE_REFERENCE.test(`export type A = 1;\n${line}\nexport {};`)).toBe(true);
  });

  it("lets a self-contained file through", () => {
    expect(MODULE_REFERENCE.test("export type ChatMessage = PublicMessage;\nexport declare class ChatPopApi {\n}\n/** through hono/client: imported */\nexport {};")).toBe(false);
  });
});
