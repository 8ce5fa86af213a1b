// Pure rules, no I/O: client-ip.ts beside this file.
import { describe, expect, it } from "vitest";
import { clientIpKey } from "./client-ip";

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
