// The web app's production bundle (what `npm run deploy` ships) carries no test
// hook: the browser tests' handle on the socket exists only in the development
// build that `npm run dev` and `npm test` make.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
const build = (...flags: string[]) => {
  const out = mkdtempSync(join(tmpdir(), "chatpop-web-"));
  dirs.push(out);
  execFileSync(process.execPath, [`${root}dev/build-web.ts`, "--out", out, ...flags], { cwd: root, stdio: "pipe" });
  return readFileSync(join(out, "app.js"), "utf8");
};

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("the web app's bundles", () => {
  it("leaves the test hook out of the production build, and keeps it in the development one", () => {
    const production = build("--production");
    const development = build();
    expect(production).not.toContain("__chatpop");
    expect(development).toContain("__chatpop");
    // The same app otherwise: both carry the room's screen.
    for (const bundle of [production, development]) expect(bundle).toContain("Load older messages");
  });
});
