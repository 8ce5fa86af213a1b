import { describe, expect, it } from "vitest";
import { NUMBER_SETTINGS, limitsOf, settingsOf } from "./settings";

describe("settings", () => {
  it("gives every setting its default when the var is unset", () => {
    const s = settingsOf({});
    for (const [name, setting] of Object.entries(NUMBER_SETTINGS)) expect(s[name as keyof typeof NUMBER_SETTINGS], name).toBe(setting.default);
    expect(s.SEND_COMMIT).toBe("room");
    expect(s.MESSAGE_CACHE_MAX_COUNT).toBe(500);
    expect(s.MAX_SOCKETS_PER_ROOM).toBe(5000);
  });

  it("reads a var as a positive number, and falls back on anything else", () => {
    expect(settingsOf({ PIN_SECONDS_PER_MINUTE: "0.5" }).PIN_SECONDS_PER_MINUTE).toBe(0.5);
    for (const bad of ["0", "-3", "abc", "", "Infinity", "NaN"]) expect(settingsOf({ PIN_SECONDS_PER_MINUTE: bad }).PIN_SECONDS_PER_MINUTE, bad).toBe(60);
  });

  it("rounds whole-number settings down, and takes 0 only where it means something", () => {
    expect(settingsOf({ MAX_UNFLUSHED_MESSAGES: "8.9" }).MAX_UNFLUSHED_MESSAGES).toBe(8);
    expect(settingsOf({ RELAY_AFTER_SOCKETS: "0", RELAY_COUNT: "0" })).toMatchObject({ RELAY_AFTER_SOCKETS: 0, RELAY_COUNT: 0 });
    expect(settingsOf({ MAX_SOCKETS_PER_ROOM: "0" }).MAX_SOCKETS_PER_ROOM).toBe(5000);
  });

  it("takes the two commit modes and nothing else", () => {
    expect(settingsOf({ SEND_COMMIT: "postgres" }).SEND_COMMIT).toBe("postgres");
    expect(settingsOf({ SEND_COMMIT: "POSTGRES" }).SEND_COMMIT).toBe("room");
  });

  it("parses an env once: the same object answers the same settings", () => {
    const env = { SEND_BURST: "7" };
    expect(settingsOf(env)).toBe(settingsOf(env));
    expect(limitsOf(settingsOf(env))).toMatchObject({ send: { burst: 7, perSecond: 5 }, frame: { burst: 60, perSecond: 20, abuseAfter: 10 } });
  });
});
