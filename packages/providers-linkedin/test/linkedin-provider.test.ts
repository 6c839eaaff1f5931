/**
 * LinkedInOAuthProvider against the LinkedIn stand-in over real HTTP: the
 * authorization URL (no PKCE), the code exchange with the secret in the form
 * body, the OpenID identity, LinkedIn's token-answer quirks, cancellations,
 * and refresh — refused without a refresh token (most apps), working with
 * programmatic refresh tokens.
 */
import { UpstreamError, type UpstreamGrant } from "@chuk-mcp/oauth";
import { ConfigError } from "@chuk-mcp/server";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { rejectionOf } from "../../oauth/test/helpers/rejection.js";
import { LINKEDIN_ISSUER, LinkedInOAuthProvider } from "../src/index.js";
import { LinkedInStandIn } from "./stand-in.js";

const REDIRECT = "http://127.0.0.1:8000/oauth/callback";
const CLIENT = { clientId: "77linkedinclient", clientSecret: "li-secret-1" };

let standIn: LinkedInStandIn;
let linkedin: LinkedInOAuthProvider;

beforeAll(async () => {
  standIn = await LinkedInStandIn.start({ ...CLIENT, redirectUris: [REDIRECT] });
  linkedin = new LinkedInOAuthProvider({
    ...CLIENT,
    redirectUri: REDIRECT,
    upstreamUrl: standIn.url,
    allowInsecureRequests: true,
  });
});
afterAll(() => standIn?.close());
beforeEach(() => {
  standIn.tokenType = true;
  standIn.refreshTokens = false;
  standIn.issuer = LINKEDIN_ISSUER;
});

/** The member's browser: our authorization URL → LinkedIn → the redirect back to our callback. */
async function callback(provider = linkedin, state = "state-1") {
  const start = await provider.startAuthorization({ state, scopes: ["profile.read"] });
  const response = await fetch(start.url, { redirect: "manual" });
  expect(response.status).toBe(302);
  const url = new URL(response.headers.get("location") as string);
  return { start, url, state, ...(start.extra ? { extra: start.extra } : {}) };
}

const signIn = async (): Promise<UpstreamGrant> => linkedin.finishAuthorization(await callback());

const failure = (promise: Promise<unknown>): Promise<UpstreamError> => rejectionOf(promise, UpstreamError);

describe("sign-in", () => {
  test("the authorization URL asks LinkedIn for OpenID Connect and posting, without PKCE", async () => {
    const { start } = await callback();
    const url = new URL(start.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${standIn.url}/oauth/v2/authorization`);
    const q = url.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("client_id")).toBe(CLIENT.clientId);
    expect(q.get("redirect_uri")).toBe(REDIRECT);
    expect(q.get("state")).toBe("state-1");
    expect(q.get("scope")).toBe("openid profile email w_member_social");
    expect(q.has("code_challenge")).toBe(false);
    expect(q.has("code_challenge_method")).toBe(false);
    expect(start.codeVerifier).toBeUndefined();
  });

  test("the code is exchanged with the secret in the form body; the member is the OpenID sub", async () => {
    const before = standIn.tokenRequests.length;
    const grant = await signIn();
    expect(grant.identity).toEqual({ userId: standIn.member.sub, name: "Ada Lovelace", email: "ada@example.com" });
    expect(standIn.tokenRequests.slice(before)).toEqual([
      { grantType: "authorization_code", clientAuth: "client_secret_post", codeVerifier: false, status: 200 },
    ]);
    // LinkedIn's "email,openid,profile,w_member_social" becomes a list of scopes.
    expect(grant.tokens.scopes).toEqual(["email", "openid", "profile", "w_member_social"]);
    expect(grant.tokens.tokenType).toBe("Bearer");
    expect(grant.tokens.refreshToken).toBeUndefined();
    const sixtyDays = Math.floor(Date.now() / 1000) + 60 * 24 * 3600;
    expect(grant.tokens.expiresAt).toBeGreaterThan(sixtyDays - 30);
    expect(grant.tokens.expiresAt).toBeLessThanOrEqual(sixtyDays);
  });

  test("an answer without token_type (as LinkedIn sometimes sends) still signs the member in", async () => {
    standIn.tokenType = false;
    const grant = await signIn();
    expect(grant.identity.userId).toBe(standIn.member.sub);
    expect(grant.tokens.tokenType).toBe("Bearer");
  });

  test.each(["user_cancelled_authorize", "user_cancelled_login"] as const)(
    "a member who cancels (%s) is access_denied",
    async (decision) => {
      standIn.nextDecision = decision;
      const cb = await callback();
      expect(cb.url.searchParams.get("error")).toBe(decision);
      const err = await failure(linkedin.finishAuthorization(cb));
      expect(err.kind).toBe("access_denied");
    },
  );

  test("an ID token from another issuer (LinkedIn's before April 2024) is refused", async () => {
    standIn.issuer = "https://www.linkedin.com";
    const err = await failure(signIn());
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toMatch(/^LinkedIn: code exchange failed: malformed answer \(HTTP 200\)/);
  });

  test("a code used twice is refused by LinkedIn (invalid_request), and the message holds no code", async () => {
    const cb = await callback();
    await linkedin.finishAuthorization(cb);
    const err = await failure(linkedin.finishAuthorization(cb));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toBe("LinkedIn: code exchange refused by the upstream: invalid_request (HTTP 400)");
    expect(err.message).not.toContain(cb.url.searchParams.get("code") as string);
  });

  test("a wrong client secret is invalid_client (HTTP 401)", async () => {
    const wrong = new LinkedInOAuthProvider({
      clientId: CLIENT.clientId,
      clientSecret: "not-the-secret",
      redirectUri: REDIRECT,
      upstreamUrl: standIn.url,
      allowInsecureRequests: true,
    });
    const err = await failure(wrong.finishAuthorization(await callback(wrong)));
    expect(err.message).toBe("LinkedIn: code exchange refused by the upstream: invalid_client (HTTP 401)");
  });
});

describe("refresh", () => {
  test("without a refresh token (most apps) it fails with invalid_grant, without asking LinkedIn", async () => {
    const grant = await signIn();
    const refreshes = standIn.counters.refresh_token;
    const err = await failure(linkedin.refreshTokens(grant.tokens));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toContain("LinkedIn issued no refresh token");
    expect(err.message).toContain("must authorize again");
    expect(standIn.counters.refresh_token).toBe(refreshes);
  });

  test("with programmatic refresh tokens, a refresh gives a new 60-day access token and keeps the refresh token", async () => {
    standIn.refreshTokens = true;
    const grant = await signIn();
    expect(grant.tokens.refreshToken).toEqual(expect.any(String));
    const refreshes = standIn.counters.refresh_token;
    const fresh = await linkedin.refreshTokens(grant.tokens);
    expect(standIn.counters.refresh_token).toBe(refreshes + 1);
    expect(standIn.tokenRequests.at(-1)).toMatchObject({
      grantType: "refresh_token",
      clientAuth: "client_secret_post",
    });
    expect(fresh.accessToken).not.toBe(grant.tokens.accessToken);
    expect(fresh.refreshToken).toBe(grant.tokens.refreshToken);
    expect(fresh.scopes).toEqual(["email", "openid", "profile", "w_member_social"]);
    expect(fresh.expiresAt).toBeGreaterThan(Math.floor(Date.now() / 1000) + 59 * 24 * 3600);
  });

  test("an expired refresh token (after a year) is invalid_grant: the member must authorize again", async () => {
    standIn.refreshTokens = true;
    const grant = await signIn();
    standIn.expireRefreshTokens();
    const err = await failure(linkedin.refreshTokens(grant.tokens));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toBe("LinkedIn: token refresh refused by the upstream: invalid_request (HTTP 400)");
  });
});

describe("configuration", () => {
  test("endpoints are LinkedIn's unless an upstream URL is given; http only when allowed", () => {
    const real = new LinkedInOAuthProvider({ ...CLIENT, redirectUri: REDIRECT });
    expect(real.apiUrl).toBe("https://api.linkedin.com");
    expect(linkedin.apiUrl).toBe(standIn.url);
    expect(
      () => new LinkedInOAuthProvider({ ...CLIENT, redirectUri: REDIRECT, upstreamUrl: "http://127.0.0.1:9" }),
    ).toThrow(ConfigError);
    expect(() => new LinkedInOAuthProvider({ ...CLIENT, clientSecret: "", redirectUri: REDIRECT })).toThrow(
      /LinkedInOAuthProvider options: clientSecret must not be empty/,
    );
  });
});
