// Builds the typed client for other projects (`import … from "chatpop-edge/client"`):
// dist/client/index.js (ESM, bundled with the protocol it imports) and its
// declarations under dist/client/types. Run by `npm install` (prepare) and `npm run build:client`.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
await build({
  entryPoints: [`${root}src/client/chatpop-client.ts`],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  outfile: `${root}dist/client/index.js`,
  logLevel: "warning",
});
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", `${root}tsconfig.client.json`], { stdio: "inherit" });
console.log("[client] built dist/client/ (index.js and types)");
