/**
 * The address classifier behind the metadata document fetch (SSRF): every
 * special-use IPv4 and IPv6 range is refused, public unicast is not, and
 * IPv4 inside IPv6 is judged by the IPv4 address it reaches.
 */
import { describe, expect, test } from "vitest";
import { specialUseRangeOf } from "../../src/clients/special-addresses.js";

describe("specialUseRangeOf: IPv4", () => {
  test.each([
    ["0.0.0.0", "this network"],
    ["0.1.2.3", "this network"],
    ["10.0.0.1", "private (10.0.0.0/8)"],
    ["10.255.255.255", "private (10.0.0.0/8)"],
    ["100.64.0.1", "CGNAT"],
    ["100.127.255.254", "CGNAT"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.169.254", "link-local (169.254.0.0/16)"],
    ["169.254.0.1", "link-local"],
    ["172.16.0.1", "private (172.16.0.0/12)"],
    ["172.31.255.255", "private (172.16.0.0/12)"],
    ["192.0.0.8", "IETF protocol assignments"],
    ["192.0.2.1", "documentation"],
    ["192.88.99.1", "6to4 relay"],
    ["192.168.0.1", "private (192.168.0.0/16)"],
    ["192.168.255.1", "private (192.168.0.0/16)"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
  ])("%s is special (%s)", (address, label) => {
    expect(specialUseRangeOf(address)).toContain(label);
  });

  test.each([
    "1.1.1.1",
    "8.8.8.8",
    "93.184.216.34",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "11.0.0.0",
    "126.255.255.255",
    "128.0.0.0",
  ])("%s is public", (address) => {
    expect(specialUseRangeOf(address)).toBeUndefined();
  });
});

describe("specialUseRangeOf: IPv6", () => {
  test.each([
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::ffff:127.0.0.1", "IPv4-mapped (::ffff:0:0/96) loopback"],
    ["::ffff:7f00:1", "IPv4-mapped (::ffff:0:0/96) loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:192.168.1.1", "private"],
    ["64:ff9b::a9fe:a9fe", "NAT64 (64:ff9b::/96) link-local"],
    ["64:ff9b::10.0.0.1", "NAT64"],
    ["64:ff9b:1::1", "local-use NAT64"],
    ["::127.0.0.1", "IPv4-compatible"],
    ["100::1", "discard-only"],
    ["fc00::1", "unique-local"],
    ["fd00::1", "unique-local (fc00::/7)"],
    ["fdff:ffff::1", "unique-local"],
    ["fe80::1", "link-local (fe80::/10)"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "site-local"],
    ["ff02::1", "multicast"],
    ["ff05::1:3", "multicast"],
    ["2001::1", "IETF protocol assignments"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"],
    ["2001:2::1", "IETF protocol assignments"],
    ["2001:db8::1", "documentation (2001:db8::/32)"],
    ["2002:c000:0204::1", "6to4"],
    ["3fff::1", "documentation (3fff::/20)"],
    ["5f00::1", "outside global unicast"],
    ["4000::1", "outside global unicast"],
    ["1::1", "outside global unicast"],
  ])("%s is special (%s)", (address, label) => {
    expect(specialUseRangeOf(address)).toContain(label);
  });

  test.each([
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001:82a::200e",
    "2001:200::1",
    "3ffe::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
  ])("%s is public", (address) => {
    expect(specialUseRangeOf(address)).toBeUndefined();
  });
});

describe("specialUseRangeOf: not addresses", () => {
  test.each(["", "localhost", "example.com", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::g", "[::1"])(
    "%j is refused as not an IP address",
    (value) => {
      expect(specialUseRangeOf(value)).toBe("not an IP address");
    },
  );
});
