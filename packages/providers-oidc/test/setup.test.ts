/**
 * setupOidcOAuth: configuration from options then OIDC_* variables, the
 * messages for what is missing, and start-up through `run()`: discovery
 * before listening, a failed discovery stopping start-up, and the
 * environment's scopes, audience and stand-in URL reaching the provider.
 */
import type { OAuthMiddleware } from "@chuk-mcp/oauth";
import { ChukMCPServer, ConfigError, type RunningServer } from "@chuk-mcp/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../../oauth/test/helpers/free-port.js";
import { OidcDiscoveryError, OidcOAuthProvider, type OidcSetupOptions, setupOidcOAuth } from "../src/index.js";
import { ACCOUNTS, signIn, startTestIssuer, type TestIssuer } from "./issuer.js";
import { type RunningHttp, startHttp } from "./rogue-issuer.js";

/** A callback for flows the test finishes itself (nobody listens there). */
const CALLBACK = "http://127.0.0.1:47996/oauth/callback";

const server = () => new ChukMCPServer("oidc-setup-test", { version: "1.0.0", logLevel: "silent" });

function configError(options: OidcSetupOptions): string {
  try {
    setupOidcOAuth(server(), options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("setupOidcOAuth did not throw");
}

describe("missing configuration: a ConfigError at once, naming what to set", () => {
  test("nothing set: the issuer, the client id and the secret, and the redirect URI to register", () => {
    expect(configError({ env: {} })).toBe(
      "Invalid configuration: OpenID Connect OAuth needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET. " +
        "Set OIDC_ISSUER to your identity provider's issuer URL, the one its /.well-known/openid-configuration is " +
        "under (e.g. https://YOUR-TENANT.auth0.com/ or https://keycloak.example.com/realms/YOUR-REALM), or pass issuer. " +
        "Create an OAuth app (a confidential OpenID Connect client) at your identity provider's admin console with " +
        "the redirect URI http://localhost:8000/oauth/callback, then set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET " +
        "(or pass clientId and clientSecret).",
    );
  });

  test("only the issuer missing: only the issuer named", () => {
    const message = configError({ env: { OIDC_CLIENT_ID: "id", OIDC_CLIENT_SECRET: "secret" } });
    expect(message).toMatch(/^Invalid configuration: OpenID Connect OAuth needs OIDC_ISSUER\. Set OIDC_ISSUER to/);
    expect(message).not.toContain("OIDC_CLIENT_ID");
  });

  test("issuer and secret missing, the id passed as an option; the redirect URI follows OAUTH_SERVER_URL", () => {
    const message = configError({ clientId: "id", env: { OAUTH_SERVER_URL: "https://mcp.example.com" } });
    expect(message).toContain("needs OIDC_ISSUER and OIDC_CLIENT_SECRET.");
    expect(message).toContain("with the redirect URI https://mcp.example.com/oauth/callback");
  });

  test("the issuer set, the credentials missing: the shared message, with the generic console sentence", () => {
    expect(configError({ env: { OIDC_ISSUER: "https://idp.example.com" } })).toBe(
      "Invalid configuration: OpenID Connect OAuth needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET. Create an OAuth app " +
        "at your identity provider's admin console with the redirect URI http://localhost:8000/oauth/callback, then " +
        "set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (or pass clientId and clientSecret).",
    );
  });

  test("a blank variable counts as missing", () => {
    expect(configError({ env: { OIDC_ISSUER: "  ", OIDC_CLIENT_ID: "id", OIDC_CLIENT_SECRET: "s" } })).toContain(
      "needs OIDC_ISSUER.",
    );
  });

  test("OIDC_CLIENT_AUTH_METHOD must name a client secret method", () => {
    const env = { OIDC_ISSUER: "https://idp.example.com", OIDC_CLIENT_ID: "id", OIDC_CLIENT_SECRET: "secret" };
    expect(configError({ env: { ...env, OIDC_CLIENT_AUTH_METHOD: "private_key_jwt" } })).toBe(
      "Invalid configuration: OIDC_CLIENT_AUTH_METHOD must be client_secret_basic or client_secret_post",
    );
    expect(() =>
      setupOidcOAuth(server(), { env: { ...env, OIDC_CLIENT_AUTH_METHOD: "client_secret_post" } }),
    ).not.toThrow();
  });

  test("a malformed issuer is refused at once, not when the server starts", () => {
    const env = { OIDC_CLIENT_ID: "id", OIDC_CLIENT_SECRET: "secret" };
    expect(configError({ env: { ...env, OIDC_ISSUER: "idp.example.com" } })).toContain(
      "OIDC_ISSUER (issuer) must be an absolute URL",
    );
    expect(configError({ env: { ...env, OIDC_ISSUER: "http://idp.example.com" } })).toContain(
      "must be https (http only on a loopback host",
    );
    expect(configError({ env: { ...env, OIDC_ISSUER: "https://idp.example.com/?tenant=1" } })).toContain(
      "must have no query or fragment",
    );
  });
});

interface Started {
  running: RunningServer;
  middleware: OAuthMiddleware;
  origin: string;
  close(): Promise<void>;
}

/** `run()` with `setupOidcOAuth` as users write it, on a free port. */
async function startServer(options: OidcSetupOptions): Promise<Started> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const mcp = server();
  const hook = setupOidcOAuth(mcp, { oauthServerUrl: origin, ...options });
  let middleware: OAuthMiddleware | undefined;
  const running = await mcp.run({
    transport: "http",
    host: "127.0.0.1",
    port,
    handleSignals: false,
    postRegisterHook: async (s) => {
      middleware = (await hook(s)) as OAuthMiddleware;
    },
  });
  const started = middleware as OAuthMiddleware;
  return {
    running,
    middleware: started,
    origin,
    close: async () => {
      await running.close();
      await started.close();
    },
  };
}

describe("start-up", () => {
  let issuer: TestIssuer;
  let broken: RunningHttp;
  beforeAll(async () => {
    issuer = await startTestIssuer({ redirectUris: ["http://127.0.0.1:1/oauth/callback"] });
    broken = await startHttp((_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Realm does not exist");
    });
  });
  afterAll(async () => {
    await issuer?.close();
    await broken?.close();
  });

  test("discovery happens before the server listens; the provider uses what it found", async () => {
    const started = await startServer({
      env: { OIDC_ISSUER: issuer.issuer, OIDC_CLIENT_ID: issuer.clientId, OIDC_CLIENT_SECRET: issuer.clientSecret },
      scopesSupported: ["notes.read"],
    });
    try {
      const provider = started.middleware.provider;
      expect(provider).toBeInstanceOf(OidcOAuthProvider);
      expect((provider as OidcOAuthProvider).metadata.token_endpoint).toBe(`${issuer.origin}/token`);
      expect(provider.redirectUri).toBe(`${started.origin}/oauth/callback`);
      const metadata = await fetch(`${started.origin}/.well-known/oauth-authorization-server`);
      expect(metadata.status).toBe(200);
      expect(await metadata.json()).toMatchObject({ issuer: started.origin, scopes_supported: ["notes.read"] });
    } finally {
      await started.close();
    }
  });

  test("OIDC_SCOPES and OIDC_AUDIENCE reach the authorization request", async () => {
    const started = await startServer({
      env: {
        OIDC_ISSUER: issuer.issuer,
        OIDC_CLIENT_ID: issuer.clientId,
        OIDC_CLIENT_SECRET: issuer.clientSecret,
        OIDC_SCOPES: "  profile   email offline_access ",
        OIDC_AUDIENCE: "https://api.example.com",
      },
    });
    try {
      const start = await started.middleware.provider.startAuthorization({ state: "s", scopes: [] });
      const sent = new URL(start.url).searchParams;
      expect(sent.get("scope")).toBe("openid profile email offline_access");
      expect(sent.get("audience")).toBe("https://api.example.com");
    } finally {
      await started.close();
    }
  });

  test("OIDC_CLIENT_AUTH_METHOD reaches the token request", async () => {
    const post = await startTestIssuer({ redirectUris: [CALLBACK], tokenEndpointAuthMethod: "client_secret_post" });
    try {
      const started = await startServer({
        redirectUri: CALLBACK,
        env: {
          OIDC_ISSUER: post.issuer,
          OIDC_CLIENT_ID: post.clientId,
          OIDC_CLIENT_SECRET: post.clientSecret,
          OIDC_CLIENT_AUTH_METHOD: "client_secret_post",
        },
      });
      try {
        const provider = started.middleware.provider;
        const start = await provider.startAuthorization({ state: "s", scopes: [] });
        const url = await signIn(start.url, CALLBACK);
        const grant = await provider.finishAuthorization({
          url,
          state: "s",
          ...(start.codeVerifier === undefined ? {} : { codeVerifier: start.codeVerifier }),
          ...(start.extra === undefined ? {} : { extra: start.extra }),
        });
        expect(grant.identity.userId).toBe(ACCOUNTS[0]?.sub);
        expect(post.tokenRequests).toEqual(["body"]);
      } finally {
        await started.close();
      }
    } finally {
      await post.close();
    }
  });

  test("an issuer that does not answer its discovery document stops start-up: nothing listens", async () => {
    const port = await freePort();
    const mcp = server();
    const hook = setupOidcOAuth(mcp, {
      env: { OIDC_ISSUER: `${broken.origin}/realms/acme`, OIDC_CLIENT_ID: "id", OIDC_CLIENT_SECRET: "secret" },
    });
    const failed = await mcp
      .run({ transport: "http", host: "127.0.0.1", port, handleSignals: false, postRegisterHook: hook })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failed).toBeInstanceOf(OidcDiscoveryError);
    expect((failed as Error).message).toContain(
      `OpenID Connect discovery for the issuer ${broken.origin}/realms/acme failed: ` +
        `GET ${broken.origin}/realms/acme/.well-known/openid-configuration answered HTTP 404.`,
    );
    await expect(fetch(`http://127.0.0.1:${port}/mcp`)).rejects.toThrow();
  });

  test("OIDC_UPSTREAM_URL: a production issuer name, served by a local stand-in", async () => {
    const named = await startTestIssuer({
      redirectUris: ["http://127.0.0.1:1/cb"],
      issuer: "https://login.example.test",
    });
    try {
      const started = await startServer({
        env: {
          OIDC_ISSUER: "https://login.example.test",
          OIDC_UPSTREAM_URL: named.origin,
          OIDC_CLIENT_ID: named.clientId,
          OIDC_CLIENT_SECRET: named.clientSecret,
        },
      });
      try {
        const provider = started.middleware.provider as OidcOAuthProvider;
        expect(provider.issuer).toBe("https://login.example.test");
        expect(provider.metadata.authorization_endpoint).toBe(`${named.origin}/auth`);
      } finally {
        await started.close();
      }
    } finally {
      await named.close();
    }
  });
});
