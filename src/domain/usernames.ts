// ChatPop's username rule, for chat usernames and reserved usernames alike:
// 5 to 15 ASCII letters, digits or underscores. ASCII only, so homoglyphs
// ("Ꭱobert" with a Cherokee letter) cannot impersonate anyone.
const USERNAME = /^[A-Za-z0-9_]{5,15}$/;

export type UsernameProblem = "too_short" | "too_long" | "invalid_characters";

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
  }
}

/** The key for case-insensitive uniqueness: display keeps the original case. */
export const usernameKey = (name: string) => name.toLowerCase();
