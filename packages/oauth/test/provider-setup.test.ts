/** The settings every provider's one-line setup reads, and the errors that say what to set. */
import { ChukMCPServer, ConfigError } from "@chuk-mcp/server";
import { describe, expect, test } from "vitest";
import { DevOAuthProvider } from "../src/dev-provider/index.js";
import type { OAuthMiddleware } from "../src/middleware.js";
import {
  providerOptionsFrom,
  providerSetupHook,
  rebaseUpstreamUrl,
  resolveProviderSettings,
} from "../src/provider-setup.js";

const spec = { envPrefix: "ACME", displayName: "Acme", consoleUrl: "https://console.acme.example/apps" };

describe("resolveProviderSettings", () => {
  test("missing credentials name every variable, where to create the app, and the redirect URI to register", () => {
    expect(() => resolveProviderSettings(spec, { env: {} })).toThrow(ConfigError);
    expect(() => resolveProviderSettings(spec, { env: {} })).toThrow(
      "Invalid configuration: Acme OAuth needs ACME_CLIENT_ID and ACME_CLIENT_SECRET. Create an OAuth app at " +
        "https://console.acme.example/apps with the redirect URI http://localhost:8000/oauth/callback, then set " +
        "ACME_CLIENT_ID and ACME_CLIENT_SECRET (or pass clientId and clientSecret).",
    );
    expect(() => resolveProviderSettings(spec, { env: { ACME_CLIENT_ID: "id", ACME_CLIENT_SECRET: " " } })).toThrow(
      "Acme OAuth needs ACME_CLIENT_SECRET.",
    );
  });

  test("defaults follow the seed guide: server on localhost:PORT (8000), callback under it", () => {
    const settings = resolveProviderSettings(spec, {
      env: { ACME_CLIENT_ID: "id", ACME_CLIENT_SECRET: "s", PORT: "9100" },
    });
    expect(settings).toMatchObject({
      clientId: "id",
      clientSecret: "s",
      oauthServerUrl: "http://localhost:9100",
      redirectUri: "http://localhost:9100/oauth/callback",
      upstreamUrl: undefined,
      allowInsecureRequests: false,
    });
  });

  test("options win over the environment; OAUTH_SERVER_URL and <PREFIX>_REDIRECT_URI are read", () => {
    const env = {
      ACME_CLIENT_ID: "env-id",
      ACME_CLIENT_SECRET: "env-secret",
      OAUTH_SERVER_URL: "https://mcp.example.com/",
      ACME_REDIRECT_URI: "https://mcp.example.com/auth/acme",
    };
    expect(resolveProviderSettings(spec, { env })).toMatchObject({
      clientId: "env-id",
      oauthServerUrl: "https://mcp.example.com",
      redirectUri: "https://mcp.example.com/auth/acme",
    });
    expect(
      resolveProviderSettings(spec, { env, clientId: "opt-id", oauthServerUrl: "https://other.example" }),
    ).toMatchObject({
      clientId: "opt-id",
      clientSecret: "env-secret",
      oauthServerUrl: "https://other.example",
    });
  });

  test("an upstream stand-in: https anywhere, http only on loopback", () => {
    const env = { ACME_CLIENT_ID: "id", ACME_CLIENT_SECRET: "s" };
    expect(
      resolveProviderSettings(spec, { env: { ...env, ACME_UPSTREAM_URL: "http://127.0.0.1:5000/" } }),
    ).toMatchObject({
      upstreamUrl: "http://127.0.0.1:5000",
      allowInsecureRequests: true,
    });
    expect(resolveProviderSettings(spec, { env, upstreamUrl: "https://stand-in.example" })).toMatchObject({
      allowInsecureRequests: false,
    });
    expect(() =>
      resolveProviderSettings(spec, { env: { ...env, ACME_UPSTREAM_URL: "http://stand-in.example" } }),
    ).toThrow("ACME_UPSTREAM_URL: must be https (http only on a loopback host)");
    expect(() => resolveProviderSettings(spec, { env: { ...env, ACME_UPSTREAM_URL: "nope" } })).toThrow(
      "ACME_UPSTREAM_URL: must be an absolute URL",
    );
  });
});

test("providerOptionsFrom: the credentials and the callback; the stand-in and plain http only with one", () => {
  const env = { ACME_CLIENT_ID: "id", ACME_CLIENT_SECRET: "s" };
  expect(providerOptionsFrom(resolveProviderSettings(spec, { env }))).toEqual({
    clientId: "id",
    clientSecret: "s",
    redirectUri: "http://localhost:8000/oauth/callback",
  });
  expect(
    providerOptionsFrom(
      resolveProviderSettings(spec, { env: { ...env, ACME_UPSTREAM_URL: "http://127.0.0.1:5000/" } }),
    ),
  ).toEqual({
    clientId: "id",
    clientSecret: "s",
    redirectUri: "http://localhost:8000/oauth/callback",
    upstreamUrl: "http://127.0.0.1:5000",
    allowInsecureRequests: true,
  });
});

test("rebaseUpstreamUrl swaps the origin and keeps path and query", () => {
  expect(rebaseUpstreamUrl("https://oauth2.googleapis.com/token?x=1", "http://127.0.0.1:5000")).toBe(
    "http://127.0.0.1:5000/token?x=1",
  );
  expect(rebaseUpstreamUrl("https://api.github.com/user", undefined)).toBe("https://api.github.com/user");
});

test("under an issuer with a path (a proxy strips the prefix), the callback is mounted below it and advertised under it", async () => {
  const issuer = "http://127.0.0.1:9/tenant-a";
  const env = { ACME_CLIENT_ID: "id", ACME_CLIENT_SECRET: "s", OAUTH_SERVER_URL: issuer };
  const settings = resolveProviderSettings(spec, { env });
  expect(settings.redirectUri).toBe(`${issuer}/oauth/callback`);
  const mcp = new ChukMCPServer("prefixed", { logLevel: "silent" });
  const provider = new DevOAuthProvider({ serverUrl: issuer, logger: { warn: () => {} } });
  const middleware = providerSetupHook(mcp, provider, settings, {})(mcp) as OAuthMiddleware;
  try {
    const ctx = await middleware.ready;
    expect(ctx.paths.callback).toBe("/oauth/callback");
    expect(ctx.urls.callback).toBe(`${issuer}/oauth/callback`);
    expect(ctx.resource).toBe(`${issuer}/mcp`);
  } finally {
    await middleware.close();
  }
});
