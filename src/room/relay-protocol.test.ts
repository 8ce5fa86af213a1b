// The pure rules of relays: names and the placement hash.
import { describe, expect, it } from "vitest";
import { settingsOf } from "../platform/settings";
import { MAX_RELAYS, parseRelayName, relayIndexFor, relaySettings } from "./relay-protocol";

describe("relay names", () => {
  it("reads {code}:{n} for a room code and n below MAX_RELAYS, and nothing else", () => {
    expect(parseRelayName("abcd2345:0")).toEqual({ code: "abcd2345", index: 0 });
    expect(parseRelayName(`abcd2345:${MAX_RELAYS - 1}`)).toEqual({ code: "abcd2345", index: MAX_RELAYS - 1 });
    for (const bad of [undefined, "", "abcd2345", `abcd2345:${MAX_RELAYS}`, "abcd2345:01", "abcd2345:-1", "abcd2345:x", "ABCD2345:0", "abc:0", "abcd2345:0:1", "abcd2345: 0"]) {
      expect(parseRelayName(bad)).toBeNull();
    }
  });
});

describe("placement hash", () => {
  it("is stable and spreads keys evenly over the relays", () => {
    expect(relayIndexFor("10.0.0.1", 4)).toBe(relayIndexFor("10.0.0.1", 4));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[relayIndexFor(`10.0.${i >> 8}.${i & 255}`, 4)]!++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });

  it("reads the settings: defaults, 0 as a real value, RELAY_COUNT capped at MAX_RELAYS", () => {
    expect(relaySettings(settingsOf({}))).toEqual({ after: 1000, count: 4 });
    expect(relaySettings(settingsOf({ RELAY_AFTER_SOCKETS: "0", RELAY_COUNT: "0" }))).toEqual({ after: 0, count: 0 });
    expect(relaySettings(settingsOf({ RELAY_COUNT: "1000" })).count).toBe(MAX_RELAYS);
  });
});
