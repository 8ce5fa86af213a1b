// Builds the web app (src/web) into .web/, the Worker's static assets
// ([assets] in wrangler.toml): app.js bundled by esbuild, plus index.html and
// style.css as they are. Run by `npm run dev`, `npm test` and before a deploy.
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}.web`;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${root}src/web/app.tsx`],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  jsx: "automatic",
  jsxImportSource: "hono/jsx/dom",
  outfile: `${out}/app.js`,
  logLevel: "warning",
});
for (const file of ["index.html", "style.css", "_headers"]) copyFileSync(`${root}src/web/${file}`, `${out}/${file}`);
// The API reference page (/api/docs/) loads Scalar from here, not from a CDN.
mkdirSync(`${out}/docs-assets`, { recursive: true });
copyFileSync(`${root}node_modules/@scalar/api-reference/dist/browser/standalone.js`, `${out}/docs-assets/scalar.js`);
console.log("[web] built .web/ (app.js, index.html, style.css, _headers, docs-assets/scalar.js)");
