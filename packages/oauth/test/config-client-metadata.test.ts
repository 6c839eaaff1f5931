/** The development allow-list of metadata document hosts: option, environment variable, normalization, errors. */
import { ConfigError } from "@chuk-mcp/server";
import { describe, expect, test } from "vitest";
import { resolveOAuthConfig } from "../src/config.js";

const ISSUER = { oauthServerUrl: "http://localhost:8000" };

describe("clientMetadataAllowedHosts / OAUTH_CIMD_ALLOWED_HOSTS", () => {
  test("none by default: loopback and private hosts are refused", () => {
    expect(resolveOAuthConfig(ISSUER, { env: {} }).clientMetadataAllowedHosts).toEqual([]);
  });

  test("from the environment: comma or space separated, lower-cased, IPv6 bracketed, duplicates dropped", () => {
    const config = resolveOAuthConfig(ISSUER, {
      env: { OAUTH_CIMD_ALLOWED_HOSTS: "localhost, 127.0.0.1 ::1,[::1] Dev.Example.test" },
    });
    expect(config.clientMetadataAllowedHosts).toEqual(["localhost", "127.0.0.1", "[::1]", "dev.example.test"]);
  });

  test("the option wins over the environment", () => {
    const config = resolveOAuthConfig(
      { ...ISSUER, clientMetadataAllowedHosts: ["127.0.0.1"] },
      { env: { OAUTH_CIMD_ALLOWED_HOSTS: "localhost" } },
    );
    expect(config.clientMetadataAllowedHosts).toEqual(["127.0.0.1"]);
  });

  test.each(["https://localhost", "localhost:8443", "localhost/path", "user@localhost", ""])(
    "%j is not a host name",
    (bad) => {
      expect(() => resolveOAuthConfig({ ...ISSUER, clientMetadataAllowedHosts: [bad] }, { env: {} })).toThrow(
        ConfigError,
      );
    },
  );

  test("a bad entry in the environment names the variable", () => {
    expect(() => resolveOAuthConfig(ISSUER, { env: { OAUTH_CIMD_ALLOWED_HOSTS: "localhost:3000" } })).toThrow(
      /OAUTH_CIMD_ALLOWED_HOSTS/,
    );
  });
});
