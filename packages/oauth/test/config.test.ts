import { ConfigError } from "@chuk-mcp/server";
import { describe, expect, test } from "vitest";
import { isLoopbackHost, normalizeIssuer, resolveOAuthConfig } from "../src/config.js";

const ISSUER = { oauthServerUrl: "http://localhost:8000" };

/** Runs `fn` and returns the message of the `ConfigError` it throws. */
function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("resolveOAuthConfig: defaults", () => {
  test("no options, no environment → the seed guide's TTLs, ES256, no key, 5 s grace, 30 s tolerance", () => {
    const config = resolveOAuthConfig(ISSUER, { env: {} });
    expect(config).toEqual({
      issuer: "http://localhost:8000",
      ttl: {
        authCode: 600,
        accessToken: 900,
        refreshToken: 86400,
        clientRegistration: 31536000,
        externalToken: 5184000,
      },
      refreshReuseGracePeriod: 5,
      clockTolerance: 30,
      signing: { key: undefined, alg: undefined, previousKeys: [] },
      clientMetadataAllowedHosts: [],
    });
  });

  test("no issuer anywhere → the default server URL; none at all → an error naming both sources", () => {
    expect(resolveOAuthConfig({}, { env: {}, defaultServerUrl: "http://127.0.0.1:9000/" }).issuer).toBe(
      "http://127.0.0.1:9000",
    );
    expect(configErrorOf(() => resolveOAuthConfig({}, { env: {} }))).toBe(
      "Invalid configuration: the OAuth server URL is required: set oauthServerUrl or OAUTH_SERVER_URL",
    );
  });

  test("empty environment variables count as unset", () => {
    const config = resolveOAuthConfig(ISSUER, { env: { OAUTH_ACCESS_TOKEN_TTL: "", OAUTH_SIGNING_ALG: "" } });
    expect(config.ttl.accessToken).toBe(900);
    expect(config.signing.alg).toBeUndefined();
  });
});

describe("resolveOAuthConfig: environment and precedence", () => {
  const env = {
    OAUTH_SERVER_URL: "https://auth.example.com/",
    OAUTH_AUTH_CODE_TTL: "60",
    OAUTH_ACCESS_TOKEN_TTL: "300",
    OAUTH_REFRESH_TOKEN_TTL: "3600",
    OAUTH_CLIENT_REGISTRATION_TTL: "7200",
    OAUTH_EXTERNAL_TOKEN_TTL: "86400",
    OAUTH_REFRESH_REUSE_GRACE: "2",
    OAUTH_CLOCK_TOLERANCE: "0",
    OAUTH_SIGNING_ALG: "EdDSA",
    OAUTH_SIGNING_KEY: '{"kty":"OKP","crv":"Ed25519","x":"x","d":"d"}',
    OAUTH_PREVIOUS_SIGNING_KEYS: '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}',
  };

  test("the environment overrides every default", () => {
    const config = resolveOAuthConfig({}, { env });
    expect(config.issuer).toBe("https://auth.example.com");
    expect(config.ttl).toEqual({
      authCode: 60,
      accessToken: 300,
      refreshToken: 3600,
      clientRegistration: 7200,
      externalToken: 86400,
    });
    expect(config.refreshReuseGracePeriod).toBe(2);
    expect(config.clockTolerance).toBe(0);
    expect(config.signing.alg).toBe("EdDSA");
    expect(config.signing.key).toEqual({ value: env.OAUTH_SIGNING_KEY, from: "OAUTH_SIGNING_KEY" });
    expect(config.signing.previousKeys).toEqual([
      { value: { kty: "EC", crv: "P-256", x: "a", y: "b" }, from: "OAUTH_PREVIOUS_SIGNING_KEYS[0]" },
    ]);
  });

  test("a JSON array of JWKs is accepted for OAUTH_PREVIOUS_SIGNING_KEYS too", () => {
    const config = resolveOAuthConfig(ISSUER, {
      env: { OAUTH_PREVIOUS_SIGNING_KEYS: '[{"kty":"OKP","crv":"Ed25519","x":"q"}]' },
    });
    expect(config.signing.previousKeys).toEqual([
      { value: { kty: "OKP", crv: "Ed25519", x: "q" }, from: "OAUTH_PREVIOUS_SIGNING_KEYS[0]" },
    ]);
  });

  test("options win over the environment, one by one; unset options fall through to it", () => {
    const config = resolveOAuthConfig(
      {
        oauthServerUrl: "https://mcp.example.org/tenant-a",
        accessTokenTtl: 120,
        refreshReuseGracePeriod: 0,
        signingAlg: "ES256",
        signingKey: { kty: "EC", crv: "P-256", x: "1", y: "2", d: "3" },
        previousSigningKeys: ["-----BEGIN PUBLIC KEY-----"],
      },
      { env },
    );
    expect(config.issuer).toBe("https://mcp.example.org/tenant-a");
    expect(config.ttl.accessToken).toBe(120);
    expect(config.ttl.authCode).toBe(60);
    expect(config.ttl.refreshToken).toBe(3600);
    expect(config.refreshReuseGracePeriod).toBe(0);
    expect(config.clockTolerance).toBe(0);
    expect(config.signing.alg).toBe("ES256");
    expect(config.signing.key).toEqual({
      value: { kty: "EC", crv: "P-256", x: "1", y: "2", d: "3" },
      from: "signingKey",
    });
    expect(config.signing.previousKeys).toEqual([
      { value: "-----BEGIN PUBLIC KEY-----", from: "previousSigningKeys.0" },
    ]);
  });

  test("the option allowInsecureHttp beats OAUTH_ALLOW_INSECURE_HTTP", () => {
    const env = { OAUTH_SERVER_URL: "http://mcp.internal:8000", OAUTH_ALLOW_INSECURE_HTTP: "true" };
    expect(resolveOAuthConfig({}, { env }).issuer).toBe("http://mcp.internal:8000");
    expect(configErrorOf(() => resolveOAuthConfig({ allowInsecureHttp: false }, { env }))).toContain(
      "OAUTH_SERVER_URL: http is allowed only for loopback hosts",
    );
  });
});

describe("resolveOAuthConfig: each bad value is named", () => {
  test.each([
    ["OAUTH_AUTH_CODE_TTL", "0", "must be at least 1 second"],
    ["OAUTH_ACCESS_TOKEN_TTL", "abc", "must be a whole number of seconds"],
    ["OAUTH_REFRESH_TOKEN_TTL", "-5", "must be a whole number of seconds"],
    ["OAUTH_CLIENT_REGISTRATION_TTL", "1.5", "must be a whole number of seconds"],
    ["OAUTH_EXTERNAL_TOKEN_TTL", "999999999999", "must be at most 315360000 seconds"],
    ["OAUTH_REFRESH_REUSE_GRACE", "61", "must be at most 60 seconds"],
    ["OAUTH_CLOCK_TOLERANCE", "301", "must be at most 300 seconds"],
    ["OAUTH_SIGNING_ALG", "HS256", "must be one of ES256, EdDSA"],
    ["OAUTH_SIGNING_KEY", "hunter2", "must be a private JWK (JSON object) or a PKCS#8 PEM"],
    ["OAUTH_SIGNING_KEY", "{not json", "must be a private JWK (JSON object) or a PKCS#8 PEM"],
    ["OAUTH_PREVIOUS_SIGNING_KEYS", '{"keys":"no"}', "must be a JWKS"],
    ["OAUTH_ALLOW_INSECURE_HTTP", "yes", "must be true or false"],
  ])("%s=%s → %s", (name, value, message) => {
    const error = configErrorOf(() => resolveOAuthConfig(ISSUER, { env: { [name]: value } }));
    expect(error).toContain(`OAuth environment: ${name}: ${message}`);
    // A bad key must not be echoed back.
    if (name === "OAUTH_SIGNING_KEY") expect(error).not.toContain(value);
  });

  test.each([
    ["authCodeTtl", 0, "must be at least 1 second"],
    ["accessTokenTtl", 1.5, "must be a whole number of seconds"],
    ["refreshTokenTtl", "3600", "must be a number of seconds"],
    ["clientRegistrationTtl", -1, "must be at least 1 second"],
    ["externalTokenTtl", Number.NaN, "must be a number of seconds"],
    ["refreshReuseGracePeriod", -1, "must not be negative"],
    ["clockTolerance", 1000, "must be at most 300 seconds"],
    ["signingAlg", "none", "must be one of ES256, EdDSA"],
    ["signingKey", 42, "must be a JWK (object or JSON) or a PEM string"],
    ["allowInsecureHttp", "true", "must be a boolean"],
  ])("option %s = %s → %s", (name, value, message) => {
    const error = configErrorOf(() => resolveOAuthConfig({ ...ISSUER, [name]: value }, { env: {} }));
    expect(error).toContain(`OAuth options: ${name}: ${message}`);
  });

  test("several bad values → all of them in one message", () => {
    const error = configErrorOf(() =>
      resolveOAuthConfig(ISSUER, { env: { OAUTH_AUTH_CODE_TTL: "x", OAUTH_ACCESS_TOKEN_TTL: "0" } }),
    );
    expect(error).toBe(
      "Invalid configuration: OAuth environment: OAUTH_AUTH_CODE_TTL: must be a whole number of seconds; " +
        "OAUTH_ACCESS_TOKEN_TTL: must be at least 1 second",
    );
  });
});

describe("issuer URL", () => {
  test.each([
    ["https://auth.example.com", "https://auth.example.com"],
    ["https://auth.example.com/", "https://auth.example.com"],
    ["https://Auth.Example.com:443/base/", "https://auth.example.com/base"],
    ["http://localhost:8000", "http://localhost:8000"],
    ["http://127.0.0.1:3000/mcp-auth", "http://127.0.0.1:3000/mcp-auth"],
    ["http://[::1]:8080", "http://[::1]:8080"],
  ])("%s → issuer %s", (input, issuer) => {
    expect(normalizeIssuer(input, false)).toBe(issuer);
  });

  test.each([
    ["auth.example.com", "must be an absolute URL"],
    ["/relative", "must be an absolute URL"],
    ["ftp://auth.example.com", "must be an http(s) URL"],
    ["https://user:pw@auth.example.com", "must not contain credentials"],
    ["https://auth.example.com/?tenant=a", "must not have a query"],
    ["https://auth.example.com/?", "must not have a query"],
    ["https://auth.example.com/#frag", "must not have a fragment"],
    ["http://auth.example.com", "http is allowed only for loopback hosts"],
    ["http://10.0.0.5:8000", "http is allowed only for loopback hosts"],
  ])("%s → %s, naming OAUTH_SERVER_URL", (input, message) => {
    const error = configErrorOf(() => resolveOAuthConfig({}, { env: { OAUTH_SERVER_URL: input } }));
    expect(error).toContain(`OAUTH_SERVER_URL: ${message}`);
  });

  test("a bad oauthServerUrl option is named as the option", () => {
    expect(configErrorOf(() => resolveOAuthConfig({ oauthServerUrl: "http://example.com" }, { env: {} }))).toContain(
      "oauthServerUrl: http is allowed only for loopback hosts",
    );
  });

  test("http on a public host is accepted when explicitly allowed", () => {
    expect(normalizeIssuer("http://mcp.lab:8000/", true)).toBe("http://mcp.lab:8000");
  });

  test("loopback hosts", () => {
    expect(["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]"].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(["localhost.example.com", "128.0.0.1", "[::2]", "0.0.0.0", "example.com"].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
