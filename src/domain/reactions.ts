// Reaction rules: what counts as one emoji, and the one order counts are shown in.

import type { ReactionCount } from "../protocol";

/** A keycap (1️⃣, #️⃣) or a flag (two regional indicators) are emoji without a pictographic character. */
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const KEYCAP = /^[0-9#*]\uFE0F?\u20E3$/u;
const FLAG = /^\p{Regional_Indicator}{2}$/u;
const EMOJI_MAX_UNITS = 10;

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

export type EmojiProblem = "empty" | "too_long" | "not_one" | "not_emoji";

/** Null when `text` is exactly one emoji: a single grapheme cluster of at most 10 UTF-16 units. */
export function emojiProblem(text: string): EmojiProblem | null {
  if (text.length === 0) return "empty";
  if (text.length > EMOJI_MAX_UNITS) return "too_long";
  const segments = [...graphemes.segment(text)];
  if (segments.length !== 1) return "not_one";
  if (!PICTOGRAPHIC.test(text) && !KEYCAP.test(text) && !FLAG.test(text)) return "not_emoji";
  // Text characters glued onto an emoji (letters, digits, spaces) are not part of any emoji.
  if (/[\p{L}\p{N}\s]/u.test(text.replace(/^[0-9#*](?=\uFE0F?\u20E3$)/u, ""))) return "not_emoji";
  return null;
}

export function describeEmojiProblem(problem: EmojiProblem): string {
  switch (problem) {
    case "empty":
      return "Send one emoji in `emoji`.";
    case "too_long":
    case "not_one":
      return "React with exactly one emoji.";
    case "not_emoji":
      return "Reactions must be an emoji, not text.";
  }
}

/** Most used first; ties by emoji, so Postgres and Redis give the same list. */
export function sortReactions(counts: ReactionCount[]): ReactionCount[] {
  return counts
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0));
}
