// docs/CONFIG.md's settings table is the one src/platform/settings.ts generates:
// a setting added, renamed or given another default fails here until
// `npm run docs:config` is run.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_DOC, settingsTable, withSettingsTable } from "../../dev/config-doc";
import { NUMBER_SETTINGS } from "../../src/platform/settings";

describe("docs/CONFIG.md", () => {
  const doc = readFileSync(CONFIG_DOC, "utf8");

  it("holds the settings table generated from src/platform/settings.ts", () => {
    expect(doc).toContain(settingsTable());
    expect(withSettingsTable(doc)).toBe(doc);
  });

  it("lists every setting with its default", () => {
    expect(doc).toContain("| `MAX_SOCKETS_PER_ROOM` | 5,000 |");
    for (const name of Object.keys(NUMBER_SETTINGS)) expect(doc).toContain(`| \`${name}\` |`);
  });
});
