// What text the API accepts at all, whatever the field: no control characters
// but newline and tab (they hide content, break terminals and logs, and a NUL
// makes Postgres refuse the whole statement), and no lone UTF-16 surrogates
// (they are not text: Postgres and UTF-8 encoders refuse or mangle them).
// Checked once for every string of a JSON body, a frame and a query string,
// before any field rule runs, so no field can forget it.

export type TextProblem = "control_character" | "lone_surrogate";

const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function textProblem(text: string): TextProblem | null {
  if (CONTROL.test(text)) return "control_character";
  if (LONE_SURROGATE.test(text)) return "lone_surrogate";
  return null;
}

export function describeTextProblem(field: string, problem: TextProblem): string {
  return problem === "control_character"
    ? `\`${field}\` contains a control character; only newlines and tabs are allowed.`
    : `\`${field}\` contains an unpaired UTF-16 surrogate, which is not text; send valid Unicode.`;
}

/** The first string (key or value) anywhere in a parsed JSON value that breaks the rule, with its path. */
export function findBadText(value: unknown, path: string[] = []): { field: string; problem: TextProblem } | null {
  if (typeof value === "string") {
    const problem = textProblem(value);
    return problem ? { field: path.join(".") || "(body)", problem } : null;
  }
  if (typeof value !== "object" || value === null) return null;
  for (const [key, inner] of Object.entries(value)) {
    const keyProblem = textProblem(key);
    if (keyProblem) return { field: [...path, "(key)"].join("."), problem: keyProblem };
    const found = findBadText(inner, [...path, key]);
    if (found) return found;
  }
  return null;
}

/** Characters that change how a terminal shows what follows: controls, bidi overrides and marks, lone surrogates. */
const UNSAFE_TO_PRINT = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text made safe to print for an operator: each unsafe character shown as its \\uXXXX escape
 * (valid inside a JSON string too). `keepNewlines` leaves line breaks, for multi-line output.
 */
export const inert = (text: string, keepNewlines = false) =>
  text.replace(UNSAFE_TO_PRINT, (ch) =>
    keepNewlines && ch === "\n" ? ch : `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );

/** Bidi embeddings, overrides and isolates: they reorder what follows ("gpj.exe" shown as "exe.jpg"). */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
/** More than three combining marks on one character is no script's writing, only a tower over the text ("Zalgo"). */
const MARK_RUN = /(\p{M}{3})\p{M}+/gu;

/** Text shown to everyone as the room's own (its name and description): no bidi controls, no towers of marks. */
export const displayText = (text: string) => text.normalize("NFC").replace(BIDI_CONTROLS, "").replace(MARK_RUN, "$1");
