/** `trustProxy` / `TRUST_PROXY`: what is accepted, and which peers the result trusts. */
import { describe, expect, test } from "vitest";
import { ConfigError, parseOptions, readServerEnv } from "../src/config.js";
import { httpTransportOptionsSchema } from "../src/transports/http/options.js";
import { trustFunction, trustProxySchema } from "../src/transports/http/trust-proxy.js";

const parse = (value: unknown) => parseOptions(trustProxySchema, value, "trustProxy");

describe("the setting", () => {
  test.each([
    [true, true],
    [false, false],
    [0, false],
    [2, 2],
    ["true", true],
    ["false", false],
    ["1", 1],
    ["loopback", ["loopback"]],
    [" 10.0.0.0/8, ::1 ,192.168.1.7 ", ["10.0.0.0/8", "::1", "192.168.1.7"]],
    [
      ["LOOPBACK", "fd00::/8"],
      ["loopback", "fd00::/8"],
    ],
  ])("%j → %j", (input, expected) => {
    expect(parse(input)).toEqual(expected);
  });

  test.each([
    ["nonsense"],
    ["10.0.0.0/33"],
    ["::1/129"],
    ["10.0.0.1, example.com"],
    [-1],
    [1.5],
    [["10.0.0.0/8", "x"]],
  ])("%j is refused, naming the option", (input) => {
    expect(() => parse(input)).toThrow(ConfigError);
    expect(() => parse(input)).toThrow(/trustProxy: .*must be true, false, a hop count/);
  });

  test("defaults to trusting no one", () => {
    expect(httpTransportOptionsSchema.parse({}).trustProxy).toBe(false);
    expect(trustFunction(false)).toBeUndefined();
  });

  test("TRUST_PROXY is read and validated with the other variables", () => {
    expect(readServerEnv({ TRUST_PROXY: "loopback,10.1.2.3" }).TRUST_PROXY).toEqual(["loopback", "10.1.2.3"]);
    expect(readServerEnv({ TRUST_PROXY: "" }).TRUST_PROXY).toBeUndefined();
    expect(() => readServerEnv({ TRUST_PROXY: "everyone" })).toThrow(/TRUST_PROXY: must be/);
  });

  test("ALLOWED_HOSTS (the public host names, checked against X-Forwarded-Host when the proxy is trusted)", () => {
    expect(readServerEnv({ ALLOWED_HOSTS: "example.com, example.com:443" }).ALLOWED_HOSTS).toEqual([
      "example.com",
      "example.com:443",
    ]);
    expect(readServerEnv({}).ALLOWED_HOSTS).toBeUndefined();
  });
});

describe("who is trusted", () => {
  test("addresses, ranges and named ranges; IPv4-mapped IPv6 peers match IPv4 ranges", () => {
    const trust = trustFunction(["loopback", "10.0.0.0/8", "2001:db8::1"]) as NonNullable<
      ReturnType<typeof trustFunction>
    >;
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "10.200.0.1", "2001:db8::1"]) {
      expect(trust(address, 0), address).toBe(true);
    }
    for (const address of [
      "192.168.0.1",
      "11.0.0.1",
      "2001:db8::2",
      "::ffff:192.168.0.1",
      "not an address",
      undefined,
    ]) {
      expect(trust(address, 0), String(address)).toBe(false);
    }
  });

  test("a hop count trusts that many hops, whatever their address; true trusts all", () => {
    const two = trustFunction(2) as NonNullable<ReturnType<typeof trustFunction>>;
    expect([two("203.0.113.1", 0), two("203.0.113.1", 1), two("203.0.113.1", 2)]).toEqual([true, true, false]);
    expect((trustFunction(true) as NonNullable<ReturnType<typeof trustFunction>>)("203.0.113.1", 9)).toBe(true);
  });
});
