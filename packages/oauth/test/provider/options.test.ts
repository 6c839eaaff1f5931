/** BaseOAuthProvider's constructor options: each mistake is refused with a message naming the option. */
import { describe, expect, test } from "vitest";
import type { BaseOAuthProviderOptions, UpstreamIdentity } from "../../src/provider.js";
import { StandInProvider, standInOptions } from "./stand-in-upstream.js";

const ORIGIN = "https://idp.example";
const make = (overrides: Record<string, unknown>) =>
  new StandInProvider({
    ...standInOptions(ORIGIN),
    allowInsecureRequests: false,
    ...overrides,
  } as BaseOAuthProviderOptions);

describe("BaseOAuthProvider options", () => {
  test("valid options: redirectUri exposed, client authentication defaulted", () => {
    const provider = make({});
    expect(provider.redirectUri).toBe("http://127.0.0.1:9/oauth/callback");
    expect(provider.name).toBe("Stand-in");
  });

  test.each([
    ["clientId missing", { clientId: undefined }, "clientId must be a string"],
    ["clientId empty", { clientId: "" }, "clientId must not be empty"],
    [
      "redirectUri not a URL",
      { redirectUri: "/oauth/callback" },
      "redirectUri must be an absolute http(s) URL without a fragment",
    ],
    [
      "redirectUri with a fragment",
      { redirectUri: "https://a.example/cb#x" },
      "redirectUri must be an absolute http(s) URL",
    ],
    ["scopes not an array", { scopes: "read write" }, "scopes must be an array of scope names"],
    ["a scope with a space", { scopes: ["read write"] }, "scopes.0 must not contain spaces"],
    ["endpoints missing", { endpoints: undefined }, "endpoints must be an object"],
    ["token endpoint missing", { endpoints: { authorization: `${ORIGIN}/a` } }, "endpoints.token must be a URL"],
    [
      "endpoint not http(s)",
      { endpoints: { authorization: "ftp://idp.example/a", token: `${ORIGIN}/t` } },
      "endpoints.authorization must be an absolute http(s) URL",
    ],
    [
      "http endpoint without allowInsecureRequests",
      { endpoints: { authorization: "http://127.0.0.1:1/a", token: `${ORIGIN}/t`, userinfo: `${ORIGIN}/u` } },
      "endpoints.authorization must be https (http only with allowInsecureRequests: true, on a loopback host)",
    ],
    [
      "http endpoint off loopback even with allowInsecureRequests",
      {
        allowInsecureRequests: true,
        endpoints: { authorization: `${ORIGIN}/a`, token: "http://idp.example/t", userinfo: `${ORIGIN}/u` },
      },
      "endpoints.token must be https",
    ],
    [
      "unknown client authentication",
      { clientAuthentication: "private_key_jwt" },
      "clientAuthentication must be client_secret_basic, client_secret_post or none",
    ],
    [
      "basic without a secret",
      { clientSecret: undefined, clientAuthentication: "client_secret_basic" },
      "clientSecret is required with clientAuthentication client_secret_basic",
    ],
    [
      "post without a secret",
      { clientSecret: undefined, clientAuthentication: "client_secret_post" },
      "clientSecret is required with clientAuthentication client_secret_post",
    ],
    ["none with a secret", { clientAuthentication: "none" }, "clientSecret is set but clientAuthentication is none"],
    [
      "a reserved authorization parameter",
      { authorizationParams: { state: "fixed", prompt: "consent" } },
      "authorizationParams.state is set by the provider itself",
    ],
    ["pkce not a boolean", { pkce: "yes" }, "pkce must be true or false"],
    ["requestTimeout not positive", { requestTimeout: 0 }, "requestTimeout must be positive"],
  ])("%s", (_name, overrides, message) => {
    expect(() => make(overrides)).toThrow(`StandInProvider options: `);
    expect(() => make(overrides)).toThrow(message);
  });

  test("lists every problem at once, and never quotes a value (the secret stays out)", () => {
    let message = "";
    try {
      make({ clientId: "", clientSecret: 12345678, redirectUri: "s3cret-in-the-wrong-place" });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("clientId must not be empty");
    expect(message).toContain("clientSecret must be a string");
    expect(message).toContain("redirectUri must be an absolute http(s) URL");
    expect(message).not.toContain("12345678");
    expect(message).not.toContain("s3cret-in-the-wrong-place");
  });

  test("http endpoints on loopback are allowed with allowInsecureRequests", () => {
    expect(() =>
      make({
        allowInsecureRequests: true,
        endpoints: {
          authorization: "http://localhost:1/a",
          token: "http://127.0.0.1:1/t",
          userinfo: "http://[::1]:1/u",
        },
      }),
    ).not.toThrow();
  });

  test("a provider that cannot identify users is refused at construction", () => {
    const endpoints = { authorization: `${ORIGIN}/a`, token: `${ORIGIN}/t` };
    expect(() => make({ endpoints })).toThrow(
      "StandInProvider: cannot identify users: set endpoints.userinfo, ask for the openid scope, or override identify()",
    );
    // Any of the three makes it fine.
    expect(() => make({ endpoints, scopes: ["openid"] })).not.toThrow();
    class Identifies extends StandInProvider {
      protected override async identify(): Promise<UpstreamIdentity> {
        return { userId: "x" };
      }
    }
    expect(() => new Identifies({ ...standInOptions(ORIGIN), allowInsecureRequests: false, endpoints })).not.toThrow();
  });
});
