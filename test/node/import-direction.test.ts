// The layers stay where the README's layout puts them: this reads every import
// under src/ and fails on one that points the wrong way.
//   protocol  → nothing
//   domain    → protocol
//   platform  → protocol, domain
//   features  → protocol, domain, platform, other features (never their routes)
//   room      → protocol, domain, platform, features (never their routes)
//   client    → protocol, and the app's route types (`import type { AppType }`, for hono/client)
//   web       → protocol, and the client only as its package (@chatpop-edge/client), as any other project gets it
//   cli       → domain, platform, features
//   a routes file (features/*/routes.ts, room/upgrade-route.ts) is imported by src/app.ts only.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const src = join(root, "src");

const ALLOWED: Record<string, string[]> = {
  protocol: ["protocol"],
  domain: ["protocol", "domain"],
  platform: ["protocol", "domain", "platform"],
  features: ["protocol", "domain", "platform", "features"],
  room: ["protocol", "domain", "platform", "features", "room"],
  client: ["protocol", "client"],
  web: ["protocol", "web"],
  cli: ["domain", "platform", "features", "cli"],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every relative import of the file, as a path below src/ ("features/rooms/queries"). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((s) => relative(src, normalize(join(dirname(file), s))).replace(/\.tsx?$/, ""));
}

/** Imports of the file that bring types only (erased from the built JavaScript). */
function typeOnlyImports(file: string): string[] {
  const path = join(src, `${file}.ts`);
  const text = readFileSync(path, "utf8");
  return [...text.matchAll(/import type \{[^}]*\} from ["'](\.{1,2}\/[^"']+)["']/g)].map((m) =>
    relative(src, normalize(join(dirname(path), m[1]!))).replace(/\.tsx?$/, ""),
  );
}

const layerOf = (path: string) => {
  const top = path.split("/")[0]!;
  return top in ALLOWED ? top : "app";
};
const isRoutes = (path: string) => /^features\/[^/]+\/routes$/.test(path) || path === "room/upgrade-route";

describe("import directions", () => {
  const all = files(src).map((f) => ({ path: f, file: relative(src, f).replace(/\.tsx?$/, ""), imports: importsOf(f) }));

  it("finds the source tree", () => {
    expect(all.length).toBeGreaterThan(50);
  });

  it("every layer imports only the layers below it", () => {
    const wrong: string[] = [];
    for (const { file, imports } of all) {
      const layer = layerOf(file);
      if (layer === "app") continue; // src/app.ts and src/index.ts assemble everything
      for (const target of imports) {
        // The migrations' journal is the schema's own record: platform reads which version the code expects.
        if (file === "platform/schema-version" && target === "../drizzle/meta/_journal.json") continue;
        if (layer === "client" && target === "app" && typeOnlyImports(file).includes("app")) continue;
        if (!ALLOWED[layer]!.includes(layerOf(target))) wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("nothing but src/app.ts imports a routes file", () => {
    const wrong = all.flatMap(({ file, imports }) => (file === "app" ? [] : imports.filter(isRoutes).map((t) => `${file} → ${t}`)));
    expect(wrong).toEqual([]);
  });

  it("the web app imports the client package, never src/client by path", () => {
    const web = all.filter(({ file }) => file.startsWith("web/"));
    const viaPackage = web.filter(({ path }) => /from\s+["']@chatpop-edge\/client["']/.test(readFileSync(path, "utf8")));
    expect(viaPackage.map(({ file }) => file)).toContain("web/room/use-room-connection");
    expect(web.flatMap(({ file, imports }) => imports.filter((t) => layerOf(t) === "client").map((t) => `${file} → ${t}`))).toEqual([]);
  });

  it("the protocol imports no package either", () => {
    const wrong = all
      .filter(({ file }) => file.startsWith("protocol/"))
      .flatMap(({ file }) => [...readFileSync(join(src, `${file}.ts`), "utf8").matchAll(/from\s+["']([^."'][^"']*)["']/g)].map((m) => `${file} → ${m[1]}`));
    expect(wrong).toEqual([]);
  });
});
