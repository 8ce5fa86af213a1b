// ChatPop's username rule, for chat usernames and reserved usernames alike:
// 5 to 15 ASCII letters, digits or underscores. ASCII only, so homoglyphs
// ("Ꭱobert" with a Cherokee letter) cannot impersonate anyone.
const USERNAME = /^[A-Za-z0-9_]{5,15}$/;

export type UsernameProblem = "too_short" | "too_long" | "invalid_characters" | "reserved_word";

export function usernameProblem(name: string): UsernameProblem | null {
  if (USERNAME.test(name)) return null;
  const length = [...name].length;
  if (length < 5) return "too_short";
  if (length > 15) return "too_long";
  return "invalid_characters";
}

export function describeUsernameProblem(problem: UsernameProblem): string {
  switch (problem) {
    case "too_short":
      return "Usernames need at least 5 characters.";
    case "too_long":
      return "Usernames can have at most 15 characters.";
    case "invalid_characters":
      return "Usernames may only use letters, digits and underscores (no spaces or symbols).";
    case "reserved_word":
      return "That username looks like the service or its staff (system, admin, ChatPop, host, moderator…); pick another.";
  }
}

/** The key for case-insensitive uniqueness: display keeps the original case. */
export const usernameKey = (name: string) => name.toLowerCase();

/**
 * The look-alike skeleton of a name: two names with the same skeleton read alike
 * ("AI8pihk" and "Al8pihk", "r0bert" and "robert", "rnike" and "mike"). Reserved
 * usernames are unique on it. Postgres computes the same thing with
 * SKELETON_SQL (platform/schema.ts): change both together.
 */
export function usernameSkeleton(name: string): string {
  const lower = name.toLowerCase().replace(/rn/g, "m").replace(/vv/g, "w");
  let out = "";
  for (const ch of lower) out += LOOKALIKE[ch] ?? ch;
  return out;
}

const LOOKALIKE: Record<string, string> = { "0": "o", "1": "l", i: "l", "5": "s", "8": "b" };

/** Names that would pass for the service or its staff, as skeletons. */
const RESERVED_WORDS = ["system", "admin", "administrator", "chatpop", "host", "moderator", "mod", "support", "official", "staff", "root", "owner", "security", "help", "everyone", "here"].map(usernameSkeleton);
/** The service's own name may not appear anywhere in a name; staff words may not start one. */
const BRAND = usernameSkeleton("chatpop");
const STAFF_PREFIXES = ["admin", "moderator", "official", "system", "support"].map(usernameSkeleton);

/** Whether a new name would pass for the service or its staff ("Admin", "the_ChatPop", "m0derator_1", "SystemBot"). */
export function isReservedWord(name: string): boolean {
  const bare = usernameSkeleton(name.replace(/[_\d]+$/, "").replace(/_/g, ""));
  const whole = usernameSkeleton(name.replace(/_/g, ""));
  return RESERVED_WORDS.includes(bare) || whole.includes(BRAND) || STAFF_PREFIXES.some((w) => bare.startsWith(w));
}

/** The rules for a name someone takes now (joining, registering): the format, and no reserved word. */
export function newUsernameProblem(name: string): UsernameProblem | null {
  return usernameProblem(name) ?? (isReservedWord(name) ? "reserved_word" : null);
}
