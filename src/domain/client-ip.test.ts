// Pure rules, no I/O: client-ip.ts beside this file.
import { describe, expect, it } from "vitest";
import { addressBlocks, clientIpKey, slash48Of } from "./client-ip";

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

  it("puts an IPv6 /64 in its /56 and /48, each its own key; IPv4 in none", () => {
    const key = clientIpKey("2001:db8:1:2a7f::1")!;
    expect(addressBlocks(key)).toEqual([
      { prefix: 56, key: "2001:db8:1:2a00::/56" },
      { prefix: 48, key: "2001:db8:1::/48" },
    ]);
    expect(addressBlocks(clientIpKey("2001:db8:1:ff::9")!)[0]!.key).toBe("2001:db8:1:0::/56");
    expect(addressBlocks("203.0.113.7")).toEqual([]);
    expect(slash48Of(key)).toEqual({ key: "2001:db8:1::/48", keysStartWith: "2001:db8:1:" });
    expect(slash48Of("203.0.113.7")).toBeNull();
  });
});
