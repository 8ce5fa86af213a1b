// Which new passwords are refused: the ones attackers try first. The length
// rule (8–128) is in the register schema; this is what length cannot catch.

export type PasswordProblem = "whitespace" | "common" | "repetitive";

// The most common passwords of 8 characters or more in public breach lists
// (lowercased): a guessing attack starts with exactly these.
const COMMON = new Set([
  "password", "password1", "password12", "password123", "password1234", "passw0rd", "p@ssw0rd", "p@ssword",
  "12345678", "123456789", "1234567890", "0123456789", "87654321", "11111111", "00000000", "12341234",
  "123123123", "11223344", "12121212", "69696969", "88888888", "99999999", "qwertyui", "qwertyuiop",
  "qwerty123", "qwerty12", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "q1w2e3r4", "zaq12wsx", "asdfghjkl",
  "asdfasdf", "zxcvbnm1", "iloveyou", "iloveyou1", "sunshine", "princess", "football", "baseball",
  "superman", "starwars", "welcome1", "welcome123", "whatever", "trustno1", "letmein1", "letmein123",
  "computer", "michelle", "jennifer", "corvette", "mercedes", "charlie1", "chocolate", "butterfly",
  "abcd1234", "abc12345", "abcdefgh", "aa123456", "a1234567", "admin123", "administrator", "changeme",
  "default1", "secret123", "monkey123", "dragon123", "master123", "football1", "baseball1", "iloveyou2",
  "chatpop1", "chatpop123",
]);

export function passwordProblem(password: string): PasswordProblem | null {
  if (password.trim() === "") return "whitespace";
  if (COMMON.has(password.toLowerCase())) return "common";
  if (new Set(password).size === 1) return "repetitive";
  return null;
}

export function describePasswordProblem(problem: PasswordProblem): string {
  switch (problem) {
    case "whitespace":
      return "A password cannot be only spaces.";
    case "common":
      return "That password is one of the most common ones and is guessed first; choose another (a few unrelated words work well).";
    case "repetitive":
      return "A password cannot be one character repeated; choose another.";
  }
}
