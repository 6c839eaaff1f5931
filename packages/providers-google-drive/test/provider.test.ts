/**
 * GoogleDriveOAuthProvider against the Google stand-in over real HTTP: the
 * authorization request Google needs, the code exchange (client_secret_post,
 * PKCE), identity from the OpenID `sub`, refresh without a new refresh token,
 * Google's error answers, granular consent, and revocation.
 */
import { UpstreamError } from "@chuk-mcp/oauth";
import { ConfigError } from "@chuk-mcp/server";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { rejectionOf } from "../../oauth/test/helpers/rejection.js";
import {
  GOOGLE_DRIVE_DEFAULT_SCOPES,
  GOOGLE_DRIVE_FILE_SCOPE,
  GOOGLE_PROFILE_SCOPE,
  GoogleDriveOAuthProvider,
} from "../src/index.js";
import { type GoogleStandIn, startGoogleStandIn } from "./stand-in.js";
import { CALLBACK, upstreamCallback } from "./upstream-login.js";

let google: GoogleStandIn;
beforeAll(async () => {
  google = await startGoogleStandIn({ redirectUris: [CALLBACK] });
});
afterAll(() => google.close());
beforeEach(() => {
  google.requests.length = 0;
  google.withheldScopes = [];
  google.accessTokenLifetime = 3599;
});

const provider = (overrides: Partial<ConstructorParameters<typeof GoogleDriveOAuthProvider>[0]> = {}) =>
  new GoogleDriveOAuthProvider({
    clientId: google.clientId,
    clientSecret: google.clientSecret,
    redirectUri: CALLBACK,
    upstreamUrl: google.origin,
    ...overrides,
  });

const refusal = (promise: Promise<unknown>): Promise<UpstreamError> => rejectionOf(promise, UpstreamError);

describe("the authorization request", () => {
  test("Google's endpoint, offline access with the consent screen, PKCE S256 and the default scopes", async () => {
    const google = new GoogleDriveOAuthProvider({
      clientId: "1234-abc.apps.googleusercontent.com",
      clientSecret: "GOCSPX-x",
      redirectUri: "http://localhost:8000/oauth/callback",
    });
    const start = await google.startAuthorization({ state: "s-1", scopes: ["drive.read"] });
    const url = new URL(start.url);
    expect(`${url.origin}${url.pathname}`).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      access_type: "offline",
      prompt: "consent",
      response_type: "code",
      client_id: "1234-abc.apps.googleusercontent.com",
      redirect_uri: "http://localhost:8000/oauth/callback",
      state: "s-1",
      scope: "openid https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/drive.file",
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: "S256",
    });
    expect(start.codeVerifier).toEqual(expect.any(String));
    expect(google.name).toBe("Google Drive");
    expect(google.driveEndpoints).toEqual({
      api: "https://www.googleapis.com/drive/v3",
      upload: "https://www.googleapis.com/upload/drive/v3",
    });
    expect(GOOGLE_DRIVE_DEFAULT_SCOPES).toEqual(["openid", GOOGLE_PROFILE_SCOPE, GOOGLE_DRIVE_FILE_SCOPE]);
  });

  test("upstreamUrl sends the OAuth endpoints and the Drive API to the stand-in, paths unchanged", async () => {
    const p = provider({ scopes: ["openid", "https://www.googleapis.com/auth/drive.readonly"] });
    const url = new URL((await p.startAuthorization({ state: "s", scopes: [] })).url);
    expect(`${url.origin}${url.pathname}`).toBe(`${google.origin}/o/oauth2/v2/auth`);
    expect(url.searchParams.get("scope")).toBe("openid https://www.googleapis.com/auth/drive.readonly");
    expect(p.driveEndpoints).toEqual({ api: `${google.origin}/drive/v3`, upload: `${google.origin}/upload/drive/v3` });
  });

  test("bad options are a ConfigError naming them (never echoing the secret)", () => {
    expect(() => provider({ upstreamUrl: "http://google.example" })).toThrow(
      "upstreamUrl must be https (http only on a loopback host)",
    );
    expect(() => provider({ upstreamUrl: "not a url" })).toThrow(ConfigError);
    expect(() => provider({ clientSecret: "" })).toThrow(/clientSecret must not be empty/);
    expect(() => provider({ redirectUri: "callback" })).toThrow(/redirectUri must be an absolute http\(s\) URL/);
  });
});

describe("sign-in", () => {
  test("the code is exchanged with client_secret_post and the PKCE verifier; the user is the OpenID sub", async () => {
    const p = provider();
    const callback = await upstreamCallback(p);
    // Google's redirect carries its issuer (RFC 9207), the granted scopes, authuser and prompt.
    expect(callback.url.searchParams.get("iss")).toBe("https://accounts.google.com");
    expect(callback.url.searchParams.get("prompt")).toBe("consent");

    const before = Math.floor(Date.now() / 1000);
    const grant = await p.finishAuthorization(callback);
    expect(grant.identity).toEqual({ userId: google.user.sub, name: "Ada Lovelace" });
    expect(grant.tokens.accessToken).toMatch(/^ya29\./);
    expect(grant.tokens.refreshToken).toMatch(/^1\/\/0/);
    expect(grant.tokens.tokenType).toBe("Bearer");
    expect(grant.tokens.scopes).toEqual(["openid", GOOGLE_PROFILE_SCOPE, GOOGLE_DRIVE_FILE_SCOPE]);
    expect(grant.tokens.expiresAt).toBeGreaterThanOrEqual(before + 3599);
    expect(grant.tokens.expiresAt).toBeLessThanOrEqual(before + 3601);

    const [exchange] = google.requestsTo("/token", "POST");
    expect(exchange?.headers.authorization).toBeUndefined();
    expect(exchange?.form).toMatchObject({
      grant_type: "authorization_code",
      client_id: google.clientId,
      client_secret: google.clientSecret,
      redirect_uri: CALLBACK,
      code_verifier: callback.codeVerifier,
    });
    const [userinfo] = google.requestsTo("/v1/userinfo");
    expect(userinfo?.headers.authorization).toBe(`Bearer ${grant.tokens.accessToken}`);
  });

  test("the user refusing at Google is access_denied", async () => {
    google.denyNextAuthorization = true;
    const callback = await upstreamCallback(provider());
    expect(callback.url.searchParams.get("error")).toBe("access_denied");
    const err = await refusal(provider().finishAuthorization(callback));
    expect(err.kind).toBe("access_denied");
  });

  test("granular consent: Drive unticked on the consent screen → access_denied, and the grant is given back", async () => {
    google.withheldScopes = [GOOGLE_DRIVE_FILE_SCOPE];
    const revocations = google.counters.revocations;
    const p = provider();
    const err = await refusal(p.finishAuthorization(await upstreamCallback(p)));
    expect(err.kind).toBe("access_denied");
    expect(err.message).toBe(
      "Google Drive: the user did not grant Google Drive access (the Drive box was unticked on Google's consent screen)",
    );
    expect(google.counters.revocations).toBe(revocations + 1);
    const [revoke] = google.requestsTo("/revoke");
    expect(revoke?.form?.token).toMatch(/^1\/\/0/);
    // The refresh token given back no longer works.
    const refresh = await fetch(`${google.origin}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: revoke?.form?.token ?? "",
        client_id: google.clientId,
        client_secret: google.clientSecret,
      }),
    });
    expect(refresh.status).toBe(400);
  });

  test("why prompt=consent: after a first consent Google sends a refresh token only when the consent screen is shown", async () => {
    const p = provider();
    const withConsent = await p.finishAuthorization(await upstreamCallback(p));
    expect(withConsent.tokens.refreshToken).toEqual(expect.any(String));
    const withoutPrompt = await p.finishAuthorization(
      await upstreamCallback(p, (url) => url.searchParams.delete("prompt")),
    );
    expect(withoutPrompt.tokens.refreshToken).toBeUndefined();
    const again = await p.finishAuthorization(await upstreamCallback(p));
    expect(again.tokens.refreshToken).toEqual(expect.any(String));
  });

  test("a wrong PKCE verifier is invalid_grant", async () => {
    const p = provider();
    const callback = await upstreamCallback(p);
    const err = await refusal(p.finishAuthorization({ ...callback, codeVerifier: "x".repeat(43) }));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toBe("Google Drive: code exchange refused by the upstream: invalid_grant (HTTP 400)");
  });

  test("a wrong client secret is an upstream_error naming invalid_client, and the secret is not in the message", async () => {
    const p = provider({ clientSecret: "GOCSPX-wrong-secret" });
    const err = await refusal(p.finishAuthorization(await upstreamCallback(p)));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toBe("Google Drive: code exchange refused by the upstream: invalid_client (HTTP 401)");
    expect(err.message).not.toContain("GOCSPX");
  });

  test("a callback whose iss is not Google's is refused (RFC 9207: no mix-up with another server)", async () => {
    const p = provider();
    const callback = await upstreamCallback(p);
    callback.url.searchParams.set("iss", "https://evil.example");
    const err = await refusal(p.finishAuthorization(callback));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toMatch(/^Google Drive: callback check failed/);
    expect(google.requestsTo("/token")).toEqual([]);
  });

  test("an ID token that is not from https://accounts.google.com is refused", async () => {
    google.idTokenIssuer = "https://accounts.example.com";
    try {
      const p = provider();
      const err = await refusal(p.finishAuthorization(await upstreamCallback(p)));
      expect(err.kind).toBe("upstream_error");
      expect(err.message).toMatch(/^Google Drive: code exchange failed: malformed answer \(HTTP 200\)/);
    } finally {
      google.idTokenIssuer = "https://accounts.google.com";
    }
  });
});

describe("refresh and revocation", () => {
  test("refresh: Google sends no new refresh token, and the old one is kept", async () => {
    const p = provider();
    const grant = await p.finishAuthorization(await upstreamCallback(p));
    const refreshes = google.counters.refreshes;
    const refreshed = await p.refreshTokens(grant.tokens);
    expect(google.counters.refreshes).toBe(refreshes + 1);
    expect(refreshed.accessToken).not.toBe(grant.tokens.accessToken);
    expect(refreshed.refreshToken).toBe(grant.tokens.refreshToken);
    expect(refreshed.scopes).toEqual(grant.tokens.scopes);
    const [request] = google.requestsTo("/token").filter((r) => r.form?.grant_type === "refresh_token");
    expect(request?.form).toMatchObject({ client_id: google.clientId, client_secret: google.clientSecret });
    expect(request?.headers.authorization).toBeUndefined();
    // And the kept one keeps working.
    const twice = await p.refreshTokens(refreshed);
    expect(twice.refreshToken).toBe(grant.tokens.refreshToken);
  });

  test("access revoked at Google: refresh is invalid_grant ('Token has been expired or revoked.')", async () => {
    const p = provider();
    const grant = await p.finishAuthorization(await upstreamCallback(p));
    google.revokeUser();
    const err = await refusal(p.refreshTokens(grant.tokens));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toBe("Google Drive: token refresh refused by the upstream: invalid_grant (HTTP 400)");
    const answer = await fetch(`${google.origin}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: grant.tokens.refreshToken ?? "",
        client_id: google.clientId,
        client_secret: google.clientSecret,
      }),
    });
    expect(await answer.json()).toEqual({
      error: "invalid_grant",
      error_description: "Token has been expired or revoked.",
    });
  });

  test("revokeTokens: one request (the refresh token) ends the whole grant; revoking again is not an error", async () => {
    const p = provider();
    const grant = await p.finishAuthorization(await upstreamCallback(p));
    google.requests.length = 0;
    await p.revokeTokens(grant.tokens);
    expect(google.requestsTo("/revoke").map((r) => r.form?.token)).toEqual([grant.tokens.refreshToken]);
    const userinfo = await fetch(`${google.origin}/v1/userinfo`, {
      headers: { authorization: `Bearer ${grant.tokens.accessToken}` },
    });
    expect(userinfo.status).toBe(401);
    expect((await refusal(p.refreshTokens(grant.tokens))).kind).toBe("invalid_grant");

    // Google answers 400 invalid_token for a token already revoked: that is done, not failed.
    await expect(p.revokeTokens(grant.tokens)).resolves.toBeUndefined();
    // Without a refresh token, the access token is revoked.
    const accessOnly = google.issueAccessToken();
    await p.revokeTokens({ accessToken: accessOnly, scopes: [] });
    expect(google.requestsTo("/revoke").at(-1)?.form?.token).toBe(accessOnly);
  });

  test("revocation failing for another reason is an upstream_error", async () => {
    const broken = provider({ upstreamUrl: `${google.origin}/nowhere` });
    const err = await refusal(broken.revokeTokens({ accessToken: "ya29.x", scopes: [] }));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toBe("Google Drive: revocation of the access token failed: HTTP 404");
  });
});
