/**
 * GitHubOAuthProvider against the GitHub stand-in, over real HTTP: the
 * authorization URL, sign-in with both token styles (an OAuth app's
 * non-expiring tokens, a GitHub App's expiring ones with rotating refresh
 * tokens), GitHub's quirks (JSON only when asked, errors with HTTP 200,
 * comma-separated scopes) and how its error codes are mapped.
 */
import { createHash } from "node:crypto";
import { UpstreamError } from "@chuk-mcp/oauth";
import { ConfigError } from "@chuk-mcp/server";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { rejectionOf } from "../../oauth/test/helpers/rejection.js";
import { GITHUB_API_VERSION } from "../src/api.js";
import { GitHubOAuthProvider, type GitHubOAuthProviderOptions } from "../src/github-provider.js";
import { GitHubStandIn } from "./stand-in.js";

const CALLBACK = "http://127.0.0.1:8000/oauth/callback";

let standIn: GitHubStandIn;
beforeAll(async () => {
  standIn = await GitHubStandIn.start({ callbackUrl: CALLBACK });
});
afterAll(() => standIn.close());
afterEach(() => {
  standIn.tokenStyle = "classic";
  standIn.accessTokenLifetime = 28_800;
  standIn.decision = "approve";
  standIn.emailVerified = true;
});

const providerFor = (options: Partial<GitHubOAuthProviderOptions> = {}) =>
  new GitHubOAuthProvider({
    clientId: standIn.clientId,
    clientSecret: standIn.clientSecret,
    redirectUri: CALLBACK,
    upstreamUrl: standIn.origin,
    allowInsecureRequests: true,
    ...options,
  });

/** Starts an authorization and follows the stand-in's redirect back: what our callback endpoint would receive. */
async function authorize(provider: GitHubOAuthProvider, state = `state-${Math.random()}`) {
  const start = await provider.startAuthorization({ state, scopes: [] });
  const response = await fetch(start.url, { redirect: "manual" });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location") as string);
  return {
    start,
    callback: {
      url: location,
      state,
      ...(start.codeVerifier === undefined ? {} : { codeVerifier: start.codeVerifier }),
      ...(start.extra === undefined ? {} : { extra: start.extra }),
    },
  };
}

async function signIn(provider = providerFor()) {
  const { callback } = await authorize(provider);
  return provider.finishAuthorization(callback);
}

const failure = (promise: Promise<unknown>): Promise<UpstreamError> => rejectionOf(promise, UpstreamError);

describe("the authorization request", () => {
  test("goes to GitHub's authorize endpoint with the client id, callback, default scopes, state and PKCE S256", async () => {
    const start = await new GitHubOAuthProvider({
      clientId: "Ov23liAbc",
      clientSecret: "secret",
      redirectUri: CALLBACK,
    }).startAuthorization({ state: "s-1", scopes: ["github.read"] });
    const url = new URL(start.url);
    expect(`${url.origin}${url.pathname}`).toBe("https://github.com/login/oauth/authorize");
    expect(url.searchParams.get("client_id")).toBe("Ov23liAbc");
    expect(url.searchParams.get("redirect_uri")).toBe(CALLBACK);
    expect(url.searchParams.get("scope")).toBe("read:user repo");
    expect(url.searchParams.get("state")).toBe("s-1");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    const expected = createHash("sha256")
      .update(start.codeVerifier as string)
      .digest("base64url");
    expect(url.searchParams.get("code_challenge")).toBe(expected);
  });

  test("production endpoints by default; upstreamUrl rebases github.com and api.github.com alike", () => {
    const real = new GitHubOAuthProvider({ clientId: "a", clientSecret: "b", redirectUri: CALLBACK });
    expect(real.api).toEqual({
      baseUrl: "https://api.github.com",
      userAgent: "chuk-mcp-providers-github",
      timeoutSeconds: 10,
    });
    expect(providerFor().api.baseUrl).toBe(standIn.origin);
  });

  test("scopes can be narrowed to public repositories", async () => {
    const start = await providerFor({ scopes: ["read:user", "public_repo"] }).startAuthorization({
      state: "s",
      scopes: [],
    });
    expect(new URL(start.url).searchParams.get("scope")).toBe("read:user public_repo");
  });

  test("bad options are refused at construction", () => {
    expect(() => providerFor({ userAgent: " " })).toThrow(ConfigError);
    expect(() => providerFor({ userAgent: "a\r\nX-Injected: 1" })).toThrow("userAgent must be a non-empty single line");
    expect(() => providerFor({ allowInsecureRequests: false })).toThrow(/must be https/);
    expect(() => providerFor({ clientSecret: "" })).toThrow(/clientSecret must not be empty/);
  });
});

describe("an OAuth app: tokens that never expire", () => {
  test("sign-in: the code is exchanged as GitHub documents it, and the user identified by GET /user", async () => {
    const tokenRequests = standIn.tokenRequests.length;
    const apiRequests = standIn.apiRequests.length;
    const grant = await signIn();

    expect(grant.identity).toEqual({ userId: "github:583231", name: "octocat", email: "octocat@github.example" });
    expect(grant.tokens.accessToken).toMatch(/^gho_/);
    // No expires_in, no refresh token: the token lives until the user revokes it.
    expect(grant.tokens.expiresAt).toBeUndefined();
    expect(grant.tokens.refreshToken).toBeUndefined();
    // GitHub answered scope "read:user,repo": split on the commas.
    expect(grant.tokens.scopes).toEqual(["read:user", "repo"]);
    expect(grant.tokens.tokenType).toBe("Bearer");

    const [sent] = standIn.tokenRequests.slice(tokenRequests);
    expect(sent).toMatchObject({
      accept: "application/json",
      userAgent: "chuk-mcp-providers-github",
      basicAuth: false,
      clientSecretSent: true,
      codeVerifierSent: true,
      redirectUri: CALLBACK,
      grantType: "authorization_code",
      error: undefined,
    });
    const [me] = standIn.apiRequests.slice(apiRequests);
    expect(me).toMatchObject({
      method: "GET",
      path: "/user",
      accept: "application/vnd.github+json",
      apiVersion: GITHUB_API_VERSION,
      userAgent: "chuk-mcp-providers-github",
      authScheme: "Bearer",
      tokenIndex: standIn.issuedAccessTokens.indexOf(grant.tokens.accessToken),
    });
  });

  test("there is nothing to refresh: invalid_grant without asking GitHub", async () => {
    const grant = await signIn();
    const before = standIn.counters.refresh_token;
    const err = await failure(providerFor().refreshTokens(grant.tokens));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toBe("GitHub: token refresh: the upstream issued no refresh token");
    expect(standIn.counters.refresh_token).toBe(before);
  });

  test("a code works once: the replay is bad_verification_code, which means authorize again", async () => {
    const provider = providerFor();
    const { callback } = await authorize(provider);
    await provider.finishAuthorization(callback);
    const err = await failure(provider.finishAuthorization(callback));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toBe("GitHub: code exchange refused by the upstream: bad_verification_code (HTTP 200)");
    expect(err.message).not.toContain(callback.url.searchParams.get("code") as string);
  });
});

describe("a GitHub App with expiring user tokens", () => {
  test("sign-in gets an 8-hour token and a refresh token; a refresh rotates both and ends the old access token", async () => {
    standIn.tokenStyle = "expiring";
    const provider = providerFor();
    const grant = await signIn(provider);
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(grant.tokens.accessToken).toMatch(/^ghu_/);
    expect(grant.tokens.refreshToken).toMatch(/^ghr_/);
    expect(grant.tokens.expiresAt).toBeGreaterThanOrEqual(nowSeconds + 28_800 - 2);
    expect(grant.tokens.expiresAt).toBeLessThanOrEqual(nowSeconds + 28_800);
    // A GitHub App's token has permissions, not scopes: GitHub sends scope "".
    expect(grant.tokens.scopes).toEqual([]);

    const refreshed = standIn.counters.refreshed;
    const fresh = await provider.refreshTokens(grant.tokens);
    expect(standIn.counters.refreshed).toBe(refreshed + 1);
    expect(fresh.accessToken).toMatch(/^ghu_/);
    expect(fresh.accessToken).not.toBe(grant.tokens.accessToken);
    expect(fresh.refreshToken).toMatch(/^ghr_/);
    expect(fresh.refreshToken).not.toBe(grant.tokens.refreshToken);
    expect(standIn.tokenRequests.at(-1)).toMatchObject({
      grantType: "refresh_token",
      accept: "application/json",
      clientSecretSent: true,
      error: undefined,
    });

    // GitHub ends the old access token with the refresh; the new one works.
    const asUser = (token: string) =>
      fetch(`${standIn.origin}/user`, {
        headers: { authorization: `Bearer ${token}`, "user-agent": "test", accept: "application/vnd.github+json" },
      });
    const old = await asUser(grant.tokens.accessToken);
    expect(old.status).toBe(401);
    expect(await old.json()).toMatchObject({ message: "Bad credentials" });
    expect((await asUser(fresh.accessToken)).status).toBe(200);

    // The used refresh token is refused (HTTP 200 with bad_refresh_token): the user must authorize again.
    const err = await failure(provider.refreshTokens(grant.tokens));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toBe("GitHub: token refresh refused by the upstream: bad_refresh_token (HTTP 200)");
    expect(err.message).not.toContain(grant.tokens.refreshToken as string);
    expect(standIn.counters.refreshed).toBe(refreshed + 1);
  });

  test("a token GitHub no longer honours at GET /user fails the sign-in as upstream_error", async () => {
    standIn.tokenStyle = "expiring";
    standIn.accessTokenLifetime = 0;
    const err = await failure(signIn());
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toBe("GitHub: GET /user failed: unexpected HTTP 401");
  });
});

describe("GitHub's token endpoint errors (HTTP 200 with an error field)", () => {
  test("a wrong client secret is incorrect_client_credentials: a configuration problem (upstream_error)", async () => {
    const err = await failure(signIn(providerFor({ clientSecret: "not-the-secret" })));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toBe("GitHub: code exchange refused by the upstream: incorrect_client_credentials (HTTP 200)");
    expect(err.message).not.toContain("not-the-secret");
  });

  test("a code exchanged with another redirect URI than it was issued for is redirect_uri_mismatch", async () => {
    const { callback } = await authorize(providerFor());
    const other = providerFor({ redirectUri: `${CALLBACK}/elsewhere` });
    const err = await failure(other.finishAuthorization(callback));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toContain("redirect_uri_mismatch (HTTP 200)");
  });

  test("a PKCE verifier that does not match the challenge makes the code unusable", async () => {
    const provider = providerFor();
    const { callback } = await authorize(provider);
    const err = await failure(provider.finishAuthorization({ ...callback, codeVerifier: "x".repeat(43) }));
    expect(err.kind).toBe("invalid_grant");
    expect(standIn.tokenRequests.at(-1)?.error).toBe("bad_verification_code");
  });

  test("a user without a verified email is refused (access_denied)", async () => {
    standIn.emailVerified = false;
    const err = await failure(signIn());
    expect(err.kind).toBe("access_denied");
    expect(err.message).toContain("unverified_user_email (HTTP 200)");
  });

  test("the quirk itself: without Accept: application/json GitHub answers form-encoded, errors included", async () => {
    const post = (accept?: string) =>
      fetch(`${standIn.origin}/login/oauth/access_token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...(accept ? { accept } : {}) },
        body: new URLSearchParams({ client_id: standIn.clientId, client_secret: standIn.clientSecret, code: "nope" }),
      });
    const form = await post();
    expect(form.status).toBe(200);
    expect(form.headers.get("content-type")).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(await form.text()).get("error")).toBe("bad_verification_code");
    const json = await post("application/json");
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({
      error: "bad_verification_code",
      error_description: "The code passed is incorrect or expired.",
    });
  });
});

describe("errors at the authorization step", () => {
  test("the user refusing at GitHub is access_denied", async () => {
    standIn.decision = "deny";
    const provider = providerFor();
    const { callback } = await authorize(provider);
    expect(callback.url.searchParams.get("error")).toBe("access_denied");
    const err = await failure(provider.finishAuthorization(callback));
    expect(err.kind).toBe("access_denied");
  });

  test("a redirect URI other than the app's callback URL comes back as redirect_uri_mismatch, to the registered callback", async () => {
    const provider = providerFor({ redirectUri: "http://127.0.0.1:9999/oauth/callback" });
    const { callback } = await authorize(provider);
    expect(`${callback.url.origin}${callback.url.pathname}`).toBe(CALLBACK);
    expect(callback.url.searchParams.get("error")).toBe("redirect_uri_mismatch");
    const err = await failure(provider.finishAuthorization(callback));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toBe("GitHub: the upstream answered the authorization with redirect_uri_mismatch");
  });
});
