// How the operator CLIs print: tables of aligned columns, and participants' text made
// inert (nothing a chat message holds may steer the operator's terminal).
import { inert } from "../domain/text";

/** One line of participant text, at most max characters, controls and bidi overrides escaped. */
export function oneLine(text: string, max: number): string {
  const flat = inert(text.replace(/[ \t\n]+/g, " ").trim());
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Prints rows under a header, columns aligned (the last one left ragged). */
export function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  console.log(line(head));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
}

/** JSON for the terminal: JSON.stringify escapes controls but not bidi overrides, so those are escaped here. */
export const printJson = (value: unknown) => console.log(inert(JSON.stringify(value, null, 2), true));
