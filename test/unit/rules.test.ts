// Pure rules: no I/O.
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/domain/cursor";
import { PBKDF2_ITERATIONS, hashSecret, verifySecret } from "../../src/domain/passwords";
import { isRoomCode, newRoomCode } from "../../src/domain/room-code";
import { usernameProblem } from "../../src/domain/usernames";
import { signSessionToken, signUserToken, verifySessionToken, verifyUserToken } from "../../src/domain/tokens";
import { parseClientFrame } from "../../src/room/client-frames";
import { checkContent } from "../../src/features/messages/schemas";
import { ApiError } from "../../src/platform/errors";
import { clientIpKey } from "../../src/domain/client-ip";
import { amountProblem, formatUsd, minimumToOutbid, pinClock, pinSeconds, pinTier } from "../../src/domain/pricing";
import { emojiProblem, sortReactions } from "../../src/domain/reactions";
import { parseRateLimit, rateLimitRule, retryAfterSeconds } from "../../src/domain/rate-limits";

describe("usernames", () => {
  it.each([
    ["robert", null],
    ["Robert_99", null],
    ["abcde", null],
    ["a".repeat(15), null],
    ["abcd", "too_short"],
    ["", "too_short"],
    ["a".repeat(16), "too_long"],
    ["rob ert", "invalid_characters"],
    [" robert", "invalid_characters"],
    ["robert\n", "invalid_characters"],
    ["rob-ert", "invalid_characters"],
    ["Ꭱobert", "invalid_characters"],
    ["rоbert", "invalid_characters"], // Cyrillic о
    ["😀😀😀😀😀", "invalid_characters"],
    ["x';DROP", "invalid_characters"],
  ])("%j → %s", (name, problem) => {
    expect(usernameProblem(name)).toBe(problem);
  });
});

describe("history cursors", () => {
  it("round-trips any seq and rejects anything else", () => {
    for (const seq of [1, 2, 500, 123_456_789, 2 ** 40]) expect(decodeCursor(encodeCursor(seq))).toBe(seq);
    for (const junk of ["", "abc", "MTIz", encodeCursor(5) + "x", btoa("s1.0"), btoa("s1.-1"), btoa("s1.zzzzzzzzzzzz")]) {
      expect(decodeCursor(junk)).toBeNull();
    }
    expect(encodeCursor(42)).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe("room codes", () => {
  it("are 8 URL-safe characters and differ", () => {
    const codes = new Set(Array.from({ length: 200 }, newRoomCode));
    expect(codes.size).toBe(200);
    for (const c of codes) expect(isRoomCode(c)).toBe(true);
    for (const bad of ["", "ABCDEFGH", "abc", "abcdefgh1", "chat:*ab", "0oabcdef"]) expect(isRoomCode(bad)).toBe(false);
  });
});

describe("passwords", () => {
  it("hash with PBKDF2-SHA256, a random salt and 100,000 iterations, and verify", async () => {
    const a = await hashSecret("hunter2hunter2");
    const b = await hashSecret("hunter2hunter2");
    expect(a).not.toBe(b);
    expect(a.split("$").slice(0, 2)).toEqual(["pbkdf2-sha256", String(PBKDF2_ITERATIONS)]);
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(100_000);
    expect(await verifySecret("hunter2hunter2", a)).toBe(true);
    expect(await verifySecret("hunter2hunter3", a)).toBe(false);
    expect(await verifySecret("hunter2hunter2", "garbage")).toBe(false);
  });
});

describe("tokens", () => {
  const claims = {
    roomCode: "abcdefgh",
    roomId: "11111111-1111-4111-8111-111111111111",
    participationId: "22222222-2222-4222-8222-222222222222",
    userId: null,
    username: "robert",
    isHost: false,
    usernameIsReserved: false,
  };

  it("bind a session token to its room, secret and expiry", async () => {
    const token = await signSessionToken(claims, "s1");
    expect(await verifySessionToken(token, "s1", "abcdefgh")).toEqual(claims);
    expect(await verifySessionToken(token, "s1", "hgfedcba")).toBeNull();
    expect(await verifySessionToken(token, "s2", "abcdefgh")).toBeNull();
    expect(await verifySessionToken(await signSessionToken(claims, "s1", -1), "s1", "abcdefgh")).toBeNull();
  });

  it("never accept one kind of token as the other", async () => {
    const user = await signUserToken({ userId: claims.participationId, authSessionId: claims.roomId }, "s1");
    const session = await signSessionToken(claims, "s1");
    expect(await verifyUserToken(user, "s1")).toEqual({ userId: claims.participationId, authSessionId: claims.roomId });
    expect(await verifyUserToken(session, "s1")).toBeNull();
    expect(await verifySessionToken(user, "s1", "abcdefgh")).toBeNull();
  });

  it("refuses the none algorithm", async () => {
    const [, payload] = (await signSessionToken(claims, "s1")).split(".");
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${payload}.`;
    expect(await verifySessionToken(none, "s1", "abcdefgh")).toBeNull();
  });
});

describe("client frames", () => {
  const code = (text: string) => {
    try {
      parseClientFrame(text);
      return "ok";
    } catch (e) {
      return (e as ApiError).code;
    }
  };

  it("accept a send with or without type, and a ping", () => {
    expect(parseClientFrame('{"message":"hi"}')).toEqual({ kind: "send", input: { message: "hi" } });
    expect(parseClientFrame('{"type":"message","message":"hi","client_id":"c1","extra":1}')).toEqual({
      kind: "send",
      input: { message: "hi", client_id: "c1" },
    });
    expect(parseClientFrame('{"type":"ping"}')).toEqual({ kind: "ping" });
  });

  it.each([
    ["{", "INVALID_JSON"],
    ["[]", "INVALID_JSON"],
    ["1", "INVALID_JSON"],
    ['{"type":"x"}', "UNKNOWN_FRAME_TYPE"],
    // Content rules are the room's admission step (checkContent, below), not the frame's shape.
    ['{"message":""}', "ok"],
    ['{"message":"hi","reply_to_id":"x"}', "VALIDATION_ERROR"],
  ])("%s → %s", (text, expected) => {
    expect(code(text)).toBe(expected);
  });
});

describe("message content", () => {
  const contentCode = (message: string) => {
    try {
      checkContent(message);
      return "ok";
    } catch (e) {
      return (e as ApiError).code;
    }
  };

  it.each([
    ["", "MESSAGE_EMPTY"],
    [" \n\t ", "MESSAGE_EMPTY"],
    ["a".repeat(4001), "MESSAGE_TOO_LONG"],
    ["a".repeat(4000), "ok"],
    ["😀".repeat(4000), "ok"],
    ["😀".repeat(4001), "MESSAGE_TOO_LONG"],
  ])("%j → %s", (message, expected) => {
    expect(contentCode(message)).toBe(expected);
  });
});

describe("client addresses", () => {
  it("keeps IPv4 as it is and refuses what is not an address", () => {
    expect(clientIpKey("203.0.113.7")).toBe("203.0.113.7");
    expect(clientIpKey(" 203.0.113.7 ")).toBe("203.0.113.7");
    for (const bad of [null, undefined, "", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.4, 5.6.7.8", "localhost", "fe80::1%eth0", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "12345::", "::g"]) {
      expect(clientIpKey(bad), String(bad)).toBeNull();
    }
  });

  it("cuts IPv6 to its /64 and reads IPv4-mapped addresses as IPv4", () => {
    expect(clientIpKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(clientIpKey("2001:DB8:1:2::ffff")).toBe("2001:db8:1:2::/64");
    expect(clientIpKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientIpKey("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(clientIpKey("::ffff:a00:1")).toBe("10.0.0.1");
    expect(clientIpKey("64:ff9b::192.0.2.33")).toBe("64:ff9b:0:0::/64");
  });
});

describe("rate-limit rules", () => {
  it("parses <requests>/<window> and falls back to the default, never to no limit", () => {
    expect(parseRateLimit("30/1 m")).toEqual({ requests: 30, window: "1 m" });
    expect(parseRateLimit(" 5 / 10s ")).toEqual({ requests: 5, window: "10 s" });
    for (const bad of ["", "30", "0/1 m", "30/0 s", "x/1 m", "30/1 weeks", "-1/1 m"]) expect(parseRateLimit(bad), bad).toBeNull();
    expect(rateLimitRule("join", "nonsense")).toEqual({ requests: 30, window: "1 m" });
    expect(rateLimitRule("login", "3/1 h")).toEqual({ requests: 3, window: "1 h" });
  });

  it("tells a refused caller to wait at least a second", () => {
    expect(retryAfterSeconds(10_500, 10_000)).toBe(1);
    expect(retryAfterSeconds(10_000, 10_000)).toBe(1);
    expect(retryAfterSeconds(70_001, 10_000)).toBe(61);
  });
});

describe("pin pricing", () => {
  it("follows ChatPop's tiers, the lower tier's time between tiers", () => {
    const minutes = (cents: number) => pinSeconds(cents) / 60;
    expect([100, 200, 500, 1000, 1500, 2000].map(minutes)).toEqual([10, 15, 20, 30, 45, 60]);
    expect(minutes(99)).toBe(0);
    expect(minutes(199)).toBe(10);
    expect(minutes(700)).toBe(20);
    expect(minutes(2500)).toBe(75);
    expect(minutes(2999)).toBe(75);
    expect(minutes(20_000)).toBe(600);
    expect(pinTier(50)).toBeNull();
    expect(pinSeconds(100, 0.2)).toBe(2);
  });

  it("asks the next tier above the top pin to take the top spot", () => {
    expect(minimumToOutbid(null)).toBe(100);
    expect(minimumToOutbid(100)).toBe(200);
    expect(minimumToOutbid(150)).toBe(200);
    expect(minimumToOutbid(500)).toBe(1000);
    expect(minimumToOutbid(2000)).toBe(2500);
    expect(minimumToOutbid(20_000)).toBe(20_500);
  });

  it("accepts only whole cents within bounds", () => {
    expect(amountProblem(100, 100, 200)).toBeNull();
    for (const bad of [99, 201, 1.5, -1, 0, "100", null, undefined, Number.NaN, Number.POSITIVE_INFINITY, [100]]) {
      expect(amountProblem(bad, 100, 200), String(bad)).not.toBeNull();
    }
    expect(formatUsd(500)).toBe("$5.00");
    expect(formatUsd(1234)).toBe("$12.34");
    expect(pinClock(undefined)).toBe(60);
    expect(pinClock("0")).toBe(60);
    expect(pinClock("0.5")).toBe(0.5);
  });
});

describe("reactions", () => {
  it("takes exactly one emoji of at most 10 UTF-16 units", () => {
    for (const ok of ["👍", "❤️", "👍🏽", "🇫🇷", "1️⃣", "🏳️‍🌈"]) expect(emojiProblem(ok), ok).toBeNull();
    expect(emojiProblem("")).toBe("empty");
    expect(emojiProblem("👍👍")).toBe("not_one");
    expect(emojiProblem("👍".repeat(50))).toBe("too_long");
    expect(emojiProblem("👨‍👩‍👧‍👦")).toBe("too_long");
    for (const text of ["a", "1", "x\u0301", "a\u20e3", "\u200b"]) expect(emojiProblem(JSON.parse(`"${text}"`)), text).toBe("not_emoji");
  });

  it("orders counts by count, then emoji, dropping zeros", () => {
    expect(
      sortReactions([
        { emoji: "👍", count: 1 },
        { emoji: "🔥", count: 3 },
        { emoji: "🇫🇷", count: 1 },
        { emoji: "😀", count: 0 },
      ]),
    ).toEqual([
      { emoji: "🔥", count: 3 },
      { emoji: "🇫🇷", count: 1 },
      { emoji: "👍", count: 1 },
    ]);
  });
});
