// Usernames to suggest to someone who would rather not pick one: an adjective, a
// noun and two digits ("CalmOtter42"), always within the username rules
// (5–15 of [A-Za-z0-9_]) and never a reserved word. Callers check availability.
import { newUsernameProblem } from "./usernames";

const ADJECTIVES = [
  "Amber", "Brave", "Bright", "Calm", "Clever", "Cosmic", "Crisp", "Dapper", "Eager", "Fancy",
  "Gentle", "Glad", "Golden", "Happy", "Jolly", "Keen", "Kind", "Lucky", "Lunar", "Merry",
  "Mellow", "Misty", "Noble", "Plucky", "Quick", "Quiet", "Rapid", "Rosy", "Shiny", "Snappy",
  "Sunny", "Swift", "Tidy", "Vivid", "Witty", "Zesty",
];

const NOUNS = [
  "Badger", "Beacon", "Comet", "Cedar", "Falcon", "Fern", "Finch", "Fox", "Gecko", "Harbor",
  "Heron", "Koala", "Lark", "Lynx", "Maple", "Meadow", "Moose", "Otter", "Panda", "Pebble",
  "Pine", "Puffin", "Raven", "Reef", "Robin", "Sparrow", "Tiger", "Walrus", "Willow", "Wren",
];

/** `count` distinct candidates, from a source of random 32-bit integers (crypto by default). */
export function nameCandidates(count: number, random: () => number = cryptoRandom): string[] {
  const out = new Set<string>();
  for (let tries = 0; out.size < count && tries < count * 10; tries++) {
    const name = `${pick(ADJECTIVES, random)}${pick(NOUNS, random)}${String(random() % 100).padStart(2, "0")}`;
    if (newUsernameProblem(name) === null) out.add(name);
  }
  return [...out];
}

const pick = (list: string[], random: () => number) => list[random() % list.length]!;

function cryptoRandom(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}
