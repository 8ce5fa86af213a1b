// The client's address as a key for per-IP rules (rate limits, the 3
// anonymous usernames per IP, IP bans). On Cloudflare the edge sets
// CF-Connecting-IP; anything that does not parse as an address is refused
// rather than guessed at. IPv6 is cut to its /64: one subscriber usually holds
// a whole /64, so per-address limits on IPv6 would be trivial to dodge.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The key for an address, or null when `raw` is not an IPv4 or IPv6 address. */
export function clientIpKey(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const ip = raw.trim();
  if (IPV4.test(ip)) return ip;
  const hextets = expandIpv6(ip);
  if (!hextets) return null;
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is that IPv4 address.
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    return [hextets[6]! >> 8, hextets[6]! & 255, hextets[7]! >> 8, hextets[7]! & 255].join(".");
  }
  return `${hextets.slice(0, 4).map((h) => h.toString(16)).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, or null when it is not one. */
function expandIpv6(ip: string): number[] | null {
  if (ip.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(ip)) return null;
  let text = ip;
  if (text.includes(".")) {
    // A trailing dotted IPv4 part (::ffff:10.0.0.1) stands for the last two groups.
    const at = text.lastIndexOf(":") + 1;
    const v4 = text.slice(at);
    if (!IPV4.test(v4)) return null;
    const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, at)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...rest].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...Array<string>(missing).fill("0"), ...rest].map((g) => parseInt(g, 16));
}

/**
 * The wider blocks an address key belongs to, each counted with its own budget: an IPv6 /64
 * is in one /56 and one /48 (one customer often holds a whole /48, and a /64 each costs
 * nothing to them). IPv4 addresses have none: a shared /24 is too often innocent.
 */
export function addressBlocks(key: string): { prefix: 56 | 48; key: string }[] {
  const m = SLASH_64.exec(key);
  if (!m) return [];
  const [, a, b, c, d] = m;
  return [
    { prefix: 56, key: `${a}:${b}:${c}:${(parseInt(d!, 16) & 0xff00).toString(16)}::/56` },
    { prefix: 48, key: slash48Of(key)!.key },
  ];
}

/**
 * The /48 an IPv6 key belongs to, and the text every /64 key inside it starts with (its first
 * three groups), so a store of keys can count the block with a prefix match. Null for IPv4.
 */
export function slash48Of(key: string): { key: string; keysStartWith: string } | null {
  const m = SLASH_64.exec(key);
  if (!m) return null;
  const [, a, b, c] = m;
  return { key: `${a}:${b}:${c}::/48`, keysStartWith: `${a}:${b}:${c}:` };
}

const SLASH_64 = /^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4})::\/64$/;
