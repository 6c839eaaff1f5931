/**
 * OidcOAuthProvider against a real OpenID provider (oidc-provider, started
 * here): discovery, the authorization with PKCE and a nonce, the code
 * exchange with the ID token checked, the user's `sub`, refresh, revocation,
 * and how the issuer's metadata picks the client authentication method, the
 * ID token algorithm, PKCE and the default scopes.
 */
import { UpstreamError } from "@chuk-mcp/oauth";
import { ConfigError } from "@chuk-mcp/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rejectionOf } from "../../oauth/test/helpers/rejection.js";
import { type OidcIssuerMetadata, OidcOAuthProvider } from "../src/index.js";
import { ACCOUNTS, signIn, startTestIssuer, type TestIssuer } from "./issuer.js";

/** Our callback: nobody listens there, `signIn` stops at the redirect to it. */
const CALLBACK = "http://127.0.0.1:47999/oauth/callback";
const ada = ACCOUNTS[0] as (typeof ACCOUNTS)[number];

async function discovered(issuer: TestIssuer, extra: Partial<Parameters<typeof OidcOAuthProvider.discover>[0]> = {}) {
  return OidcOAuthProvider.discover({
    issuer: issuer.issuer,
    clientId: issuer.clientId,
    clientSecret: issuer.clientSecret,
    redirectUri: CALLBACK,
    ...extra,
  });
}

/** One login at the issuer through `provider`, as `username`, answered with `decision`. */
async function authorize(provider: OidcOAuthProvider, username = "ada", decision: "allow" | "deny" = "allow") {
  const state = `state-${Math.random().toString(36).slice(2)}`;
  const start = await provider.startAuthorization({ state, scopes: [] });
  const url = await signIn(start.url, CALLBACK, { username, decision });
  const callback = {
    url,
    state,
    ...(start.codeVerifier === undefined ? {} : { codeVerifier: start.codeVerifier }),
    ...(start.extra === undefined ? {} : { extra: start.extra }),
  };
  return { start, url, callback };
}

const upstreamError = (promise: Promise<unknown>): Promise<UpstreamError> => rejectionOf(promise, UpstreamError);

describe("against oidc-provider", () => {
  let issuer: TestIssuer;
  let provider: OidcOAuthProvider;
  beforeAll(async () => {
    issuer = await startTestIssuer({ redirectUris: [CALLBACK] });
    provider = await discovered(issuer);
  });
  afterAll(() => issuer?.close());

  test("discovery: the issuer's own endpoints, PKCE, basic auth, default scopes with offline_access", () => {
    expect(provider.issuer).toBe(issuer.issuer);
    expect(provider.name).toBe(new URL(issuer.issuer).host);
    expect(provider.metadata).toMatchObject({
      issuer: issuer.issuer,
      authorization_endpoint: `${issuer.origin}/auth`,
      token_endpoint: `${issuer.origin}/token`,
      userinfo_endpoint: `${issuer.origin}/me`,
      revocation_endpoint: `${issuer.origin}/token/revocation`,
      jwks_uri: `${issuer.origin}/jwks`,
      code_challenge_methods_supported: ["S256"],
    });
    expect(provider.metadata.scopes_supported).toEqual(expect.arrayContaining(["openid", "offline_access", "email"]));
  });

  test("the authorization URL: the discovered endpoint, PKCE S256, a nonce, state, the default scopes", async () => {
    const start = await provider.startAuthorization({ state: "s-1", scopes: ["anything"] });
    const url = new URL(start.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${issuer.origin}/auth`);
    const p = url.searchParams;
    expect(p.get("response_type")).toBe("code");
    expect(p.get("client_id")).toBe(issuer.clientId);
    expect(p.get("redirect_uri")).toBe(CALLBACK);
    expect(p.get("state")).toBe("s-1");
    expect(p.get("scope")).toBe("openid profile email offline_access");
    expect(p.get("code_challenge_method")).toBe("S256");
    expect(p.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(start.codeVerifier).toEqual(expect.any(String));
    expect(p.get("nonce")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(start.extra?.nonce).toBe(p.get("nonce"));
    const again = new URL((await provider.startAuthorization({ state: "s-2", scopes: [] })).url);
    expect(again.searchParams.get("nonce")).not.toBe(p.get("nonce"));
  });

  test("a login: the code exchange (client_secret_basic), the ID token's sub is the user id, userinfo fills the name", async () => {
    const before = issuer.tokenRequests.length;
    const { url, callback } = await authorize(provider, "ada");
    expect(url.searchParams.get("code")).toEqual(expect.any(String));
    expect(url.searchParams.get("iss")).toBe(issuer.issuer);
    const grant = await provider.finishAuthorization(callback);
    // oidc-provider keeps profile claims out of an ID token issued with an access token (OpenID
    // Connect Core §5.4): the name and email come from userinfo, the id from the ID token.
    expect(grant.identity).toEqual({ userId: ada.sub, name: ada.name, email: ada.email });
    expect(grant.tokens).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
    expect(grant.tokens.tokenType).toBe("Bearer");
    expect(grant.tokens.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3500);
    expect(grant.tokens.scopes).toEqual(expect.arrayContaining(["openid", "profile", "email"]));
    expect(issuer.tokenRequests.slice(before)).toEqual(["basic"]);
  });

  test("another user is another sub", async () => {
    const { callback } = await authorize(provider, "grace");
    const grant = await provider.finishAuthorization(callback);
    expect(grant.identity.userId).toBe(ACCOUNTS[1]?.sub);
  });

  test("a code works once: replayed, the issuer refuses it (invalid_grant)", async () => {
    const { callback } = await authorize(provider);
    await provider.finishAuthorization(callback);
    const err = await upstreamError(provider.finishAuthorization(callback));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toContain("code exchange refused by the upstream: invalid_grant");
  });

  test("a callback whose nonce is not the one sent is refused", async () => {
    const { callback } = await authorize(provider);
    const err = await upstreamError(
      provider.finishAuthorization({ ...callback, extra: { nonce: "another-nonce-value" } }),
    );
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toContain("nonce");
  });

  test("a callback that lost its nonce is refused before the code exchange", async () => {
    const { callback } = await authorize(provider);
    const before = issuer.tokenRequests.length;
    const err = await upstreamError(provider.finishAuthorization({ ...callback, extra: {} }));
    expect(err.message).toContain("the nonce of this authorization is missing");
    expect(issuer.tokenRequests.length).toBe(before);
  });

  test("the user denies consent: access_denied", async () => {
    const { url, callback } = await authorize(provider, "ada", "deny");
    expect(url.searchParams.get("error")).toBe("access_denied");
    const err = await upstreamError(provider.finishAuthorization(callback));
    expect(err.kind).toBe("access_denied");
  });

  test("refresh at the discovered token endpoint: a new access token the issuer honours", async () => {
    const { callback } = await authorize(provider);
    const { tokens } = await provider.finishAuthorization(callback);
    const refreshesBefore = issuer.refreshes;
    const fresh = await provider.refreshTokens(tokens);
    expect(issuer.refreshes).toBe(refreshesBefore + 1);
    expect(fresh.accessToken).not.toBe(tokens.accessToken);
    expect(fresh.refreshToken).toEqual(expect.any(String));
    const me = await fetch(`${issuer.origin}/me`, { headers: { authorization: `Bearer ${fresh.accessToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: ada.sub });
  });

  test("revocation at the discovered endpoint: the refresh token stops working (invalid_grant)", async () => {
    const { callback } = await authorize(provider);
    const { tokens } = await provider.finishAuthorization(callback);
    await provider.revokeTokens(tokens);
    const err = await upstreamError(provider.refreshTokens(tokens));
    expect(err.kind).toBe("invalid_grant");
    const me = await fetch(`${issuer.origin}/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(me.status).toBe(401);
  });

  test("configured scopes are asked for as given, openid first when missing", async () => {
    const custom = await discovered(issuer, { scopes: ["email"] });
    const url = new URL((await custom.startAuthorization({ state: "s", scopes: [] })).url);
    expect(url.searchParams.get("scope")).toBe("openid email");
    const { callback } = await authorize(custom);
    const grant = await custom.finishAuthorization(callback);
    // No offline_access asked for, but this issuer (like Keycloak) refreshes anyway.
    expect(grant.identity).toEqual({ userId: ada.sub, email: ada.email });
  });

  test("authorization parameters (Auth0's audience, prompt) reach the issuer", async () => {
    const custom = await discovered(issuer, { authorizationParams: { prompt: "consent", audience: "https://api" } });
    const url = new URL((await custom.startAuthorization({ state: "s", scopes: [] })).url);
    expect(url.searchParams.get("prompt")).toBe("consent");
    expect(url.searchParams.get("audience")).toBe("https://api");
  });
});

describe("what the issuer's metadata decides", () => {
  test("an issuer that accepts only client_secret_post gets the secret in the body", async () => {
    const issuer = await startTestIssuer({
      redirectUris: [CALLBACK],
      clientAuthMethods: ["client_secret_post"],
      tokenEndpointAuthMethod: "client_secret_post",
    });
    try {
      const provider = await discovered(issuer);
      expect(provider.metadata.token_endpoint_auth_methods_supported).toEqual(["client_secret_post"]);
      const { callback } = await authorize(provider);
      const grant = await provider.finishAuthorization(callback);
      expect(grant.identity.userId).toBe(ada.sub);
      await provider.refreshTokens(grant.tokens);
      expect(issuer.tokenRequests).toEqual(["body", "body"]);
    } finally {
      await issuer.close();
    }
  });

  test("clientAuthentication overrides the metadata: the secret goes in the body though basic is listed", async () => {
    const issuer = await startTestIssuer({ redirectUris: [CALLBACK], tokenEndpointAuthMethod: "client_secret_post" });
    try {
      const provider = await discovered(issuer, { clientAuthentication: "client_secret_post" });
      expect(provider.metadata.token_endpoint_auth_methods_supported).toContain("client_secret_basic");
      const grant = await provider.finishAuthorization((await authorize(provider)).callback);
      expect(grant.identity.userId).toBe(ada.sub);
      await provider.refreshTokens(grant.tokens);
      expect(issuer.tokenRequests).toEqual(["body", "body"]);
    } finally {
      await issuer.close();
    }
  });

  test("ID tokens signed with ES256, which the issuer lists, are accepted", async () => {
    const issuer = await startTestIssuer({ redirectUris: [CALLBACK], idTokenSigningAlg: "ES256" });
    try {
      const provider = await discovered(issuer);
      expect(provider.metadata.id_token_signing_alg_values_supported).toContain("ES256");
      const { callback } = await authorize(provider);
      const grant = await provider.finishAuthorization(callback);
      expect(grant.identity.userId).toBe(ada.sub);
    } finally {
      await issuer.close();
    }
  });

  test("an issuer served under another name, reached through upstreamUrl", async () => {
    const issuer = await startTestIssuer({ redirectUris: [CALLBACK], issuer: "https://idp.example.test" });
    try {
      const provider = await discovered(issuer, { upstreamUrl: issuer.origin });
      expect(provider.issuer).toBe("https://idp.example.test");
      expect(provider.metadata.token_endpoint).toBe(`${issuer.origin}/token`);
      const { url, callback } = await authorize(provider);
      expect(url.searchParams.get("iss")).toBe("https://idp.example.test");
      const grant = await provider.finishAuthorization(callback);
      expect(grant.identity.userId).toBe(ada.sub);
    } finally {
      await issuer.close();
    }
  });
});

describe("built from metadata (no network)", () => {
  const base: OidcIssuerMetadata = {
    issuer: "https://idp.example.com",
    authorization_endpoint: "https://idp.example.com/authorize",
    token_endpoint: "https://idp.example.com/token",
  };
  const options = {
    issuer: "https://idp.example.com",
    clientId: "client",
    clientSecret: "secret",
    redirectUri: "https://mcp.example.com/oauth/callback",
  };
  const authorizationUrl = async (metadata: OidcIssuerMetadata, extra: Partial<typeof options> = {}) =>
    new URL(
      (await new OidcOAuthProvider({ ...options, ...extra }, metadata).startAuthorization({ state: "s", scopes: [] }))
        .url,
    );

  test("metadata for another issuer is refused", () => {
    expect(() => new OidcOAuthProvider(options, { ...base, issuer: "https://evil.example.com" })).toThrow(
      new ConfigError(
        "OpenID Connect: the metadata is for the issuer https://evil.example.com, not https://idp.example.com/",
      ),
    );
  });

  test("a bare-origin issuer matches with or without its trailing slash", () => {
    const provider = new OidcOAuthProvider(options, { ...base, issuer: "https://idp.example.com/" });
    expect(provider.issuer).toBe("https://idp.example.com/");
  });

  test("an issuer without client_secret_basic or client_secret_post cannot be used with a secret", () => {
    expect(
      () => new OidcOAuthProvider(options, { ...base, token_endpoint_auth_methods_supported: ["private_key_jwt"] }),
    ).toThrow(
      /accepts neither client_secret_basic nor client_secret_post at its token endpoint \(it lists private_key_jwt\)/,
    );
  });

  test("PKCE: sent when S256 is listed or nothing is; not when only plain is", async () => {
    expect((await authorizationUrl(base)).searchParams.get("code_challenge_method")).toBe("S256");
    const s256 = await authorizationUrl({ ...base, code_challenge_methods_supported: ["plain", "S256"] });
    expect(s256.searchParams.get("code_challenge_method")).toBe("S256");
    const plain = await authorizationUrl({ ...base, code_challenge_methods_supported: ["plain"] });
    expect(plain.searchParams.has("code_challenge")).toBe(false);
    expect(plain.searchParams.get("nonce")).toEqual(expect.any(String));
  });

  test("default scopes: only those the issuer lists; without a list, no offline_access", async () => {
    const google = await authorizationUrl({ ...base, scopes_supported: ["openid", "email", "profile"] });
    expect(google.searchParams.get("scope")).toBe("openid profile email");
    const unlisted = await authorizationUrl(base);
    expect(unlisted.searchParams.get("scope")).toBe("openid profile email");
    const full = await authorizationUrl({ ...base, scopes_supported: ["openid", "offline_access", "email"] });
    expect(full.searchParams.get("scope")).toBe("openid email offline_access");
  });

  test("an http issuer is refused unless on loopback; http endpoints only on loopback", () => {
    expect(() => new OidcOAuthProvider({ ...options, issuer: "http://idp.example.com" }, base)).toThrow(
      /must be https \(http only on a loopback host/,
    );
    expect(() => new OidcOAuthProvider(options, { ...base, token_endpoint: "http://idp.example.com/token" })).toThrow(
      /endpoints.token must be https/,
    );
  });

  test("name overrides the issuer's host", () => {
    expect(new OidcOAuthProvider({ ...options, name: "Acme SSO" }, base).name).toBe("Acme SSO");
    expect(new OidcOAuthProvider(options, base).name).toBe("idp.example.com");
  });
});
