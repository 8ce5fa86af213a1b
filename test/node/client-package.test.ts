// Another project can use the typed client as docs/ARCHITECTURE.md says: `chatpop-edge/client`
// resolves to built JavaScript with its type declarations, from a consumer's own folder.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const consumer = mkdtempSync(join(tmpdir(), "chatpop-consumer-"));
mkdirSync(join(consumer, "node_modules"));
symlinkSync(root, join(consumer, "node_modules", "chatpop-edge"), "dir");
afterAll(() => rmSync(consumer, { recursive: true, force: true }));

describe("chatpop-edge/client from another project", () => {
  it("imports as JavaScript", () => {
    const script = `import { ChatPopApi, RoomConnection, ApiFailure } from "chatpop-edge/client";
console.log(JSON.stringify([typeof ChatPopApi, typeof RoomConnection, new ApiFailure(404, "ROOM_NOT_FOUND", "x").code]));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: consumer, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual(["function", "function", "ROOM_NOT_FOUND"]);
  });

  it("type-checks against its declarations, protocol types included", () => {
    writeFileSync(
      join(consumer, "main.ts"),
      `import { ChatPopApi, type ChatMessage } from "chatpop-edge/client";
const api = new ChatPopApi("http://127.0.0.1:8787");
export const seqOf = (m: ChatMessage): number => m.seq;
export const joined = api.join("abcdefgh", { username: "guest_1", fingerprint: "device" });
// @ts-expect-error: a message's seq is a number, and the declarations say so
export const wrong: string = ({} as ChatMessage).seq;
// Answers are typed from the server's routes (hono/client): a join answers a session token.
export const token = async (): Promise<string> => (await joined).session_token;
// @ts-expect-error: is_host is a boolean in the join route's answer
export const notANumber = async (): Promise<number> => (await joined).is_host;
`,
    );
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const args = ["--noEmit", "--strict", "--module", "esnext", "--moduleResolution", "bundler", "--target", "es2022", "--lib", "es2022,dom", "main.ts"];
    execFileSync(process.execPath, [tsc, ...args], { cwd: consumer, encoding: "utf8" });
  });
});
