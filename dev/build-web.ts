// Builds the web app (src/web) into .web/, the Worker's static assets
// ([assets] in wrangler.toml): app.js bundled by esbuild, plus index.html and
// style.css as they are. Run by `npm run dev`, `npm test` and before a deploy.
// `--production` (the deploy) leaves out the browser tests' handle on the
// socket (window.__chatpop); `--out DIR` builds somewhere else than .web/.
// The app imports the typed client as its package (@chatpop-edge/client), as any
// other project does: its script is rebuilt from src/client first, so it is never stale.
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { buildClientScript } from "./build-client.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: flags } = parseArgs({ options: { production: { type: "boolean", default: false }, out: { type: "string", default: `${root}.web` } } });
const out = flags.out!;
mkdirSync(out, { recursive: true });
await buildClientScript();
await build({
  entryPoints: [`${root}src/web/app.tsx`],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  jsx: "automatic",
  jsxImportSource: "hono/jsx/dom",
  // A constant false drops the test hook's code from the minified bundle altogether.
  define: { __TEST_HOOKS__: flags.production ? "false" : "true" },
  outfile: `${out}/app.js`,
  logLevel: "warning",
});
for (const file of ["index.html", "style.css", "_headers"]) copyFileSync(`${root}src/web/${file}`, `${out}/${file}`);
// The API reference page (/api/docs/) loads Scalar from here, not from a CDN.
mkdirSync(`${out}/docs-assets`, { recursive: true });
copyFileSync(`${root}node_modules/@scalar/api-reference/dist/browser/standalone.js`, `${out}/docs-assets/scalar.js`);
console.log("[web] built .web/ (app.js, index.html, style.css, _headers, docs-assets/scalar.js)");
