/**
 * BaseOAuthProvider against a scripted stand-in upstream over real HTTP: the
 * authorization URL, the code exchange, identity, refresh, revocation, and
 * how each kind of upstream failure becomes an UpstreamError.
 */
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  type UpstreamAuthorizationRequest,
  UpstreamError,
  type UpstreamErrorKind,
  type UpstreamGrantType,
  type UpstreamIdentity,
  type UpstreamRequestExtras,
} from "../../src/provider.js";
import type { UpstreamTokens } from "../../src/store/records.js";
import { computeCodeChallenge } from "../../src/tokens/pkce.js";
import { freePort } from "../helpers/free-port.js";
import { rejectionOf } from "../helpers/rejection.js";
import { CALLBACK, StandInProvider, type StandInUpstream, standInOptions, startStandIn } from "./stand-in-upstream.js";

let upstream: StandInUpstream;
beforeAll(async () => {
  upstream = await startStandIn();
});
afterAll(() => upstream.close());
beforeEach(() => {
  upstream.requests.length = 0;
  upstream.on("GET /userinfo", { json: { sub: "u-42", name: "Alice", email: "alice@example.com" } });
});

const TOKENS = {
  access_token: "at-1",
  token_type: "Bearer",
  expires_in: 3600,
  refresh_token: "rt-1",
  scope: "read write",
};

/** Starts an authorization and builds the upstream's redirect to our callback. */
async function started(provider: StandInProvider, query: Record<string, string> = { code: "the-code" }) {
  const state = "state-1";
  const start = await provider.startAuthorization({ state, scopes: ["posts.write"] });
  const url = new URL(CALLBACK);
  for (const [name, value] of Object.entries({ ...query, state })) url.searchParams.set(name, value);
  return {
    url,
    state,
    ...(start.codeVerifier === undefined ? {} : { codeVerifier: start.codeVerifier }),
    ...(start.extra === undefined ? {} : { extra: start.extra }),
  };
}

const upstreamError = (promise: Promise<unknown>) => rejectionOf(promise, UpstreamError);

const stored = (overrides: Partial<UpstreamTokens> = {}): UpstreamTokens => ({
  accessToken: "old-access",
  refreshToken: "old-refresh-token-value",
  scopes: ["read", "write"],
  ...overrides,
});

describe("startAuthorization", () => {
  test("builds the authorization URL: code flow, client, redirect, state, scopes, PKCE S256, extra parameters", async () => {
    const provider = new StandInProvider(
      standInOptions(upstream.origin, {
        endpoints: {
          authorization: `${upstream.origin}/authorize?tenant=t1`,
          token: `${upstream.origin}/token`,
          userinfo: `${upstream.origin}/userinfo`,
        },
        authorizationParams: { access_type: "offline", prompt: "consent" },
      }),
    );
    const start = await provider.startAuthorization({ state: "st", scopes: [] });
    const url = new URL(start.url);
    expect(url.origin + url.pathname).toBe(`${upstream.origin}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: "t1",
      access_type: "offline",
      prompt: "consent",
      response_type: "code",
      client_id: "client-1",
      redirect_uri: CALLBACK,
      state: "st",
      scope: "read write",
      code_challenge: computeCodeChallenge(start.codeVerifier as string),
      code_challenge_method: "S256",
    });
    expect(start.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Each authorization gets its own verifier.
    expect((await provider.startAuthorization({ state: "st", scopes: [] })).codeVerifier).not.toBe(start.codeVerifier);
  });

  test("without PKCE: no challenge, no verifier, and the code exchange sends none", async () => {
    const provider = new StandInProvider(standInOptions(upstream.origin, { pkce: false }));
    const start = await provider.startAuthorization({ state: "st", scopes: [] });
    expect(start.codeVerifier).toBeUndefined();
    expect(new URL(start.url).searchParams.has("code_challenge")).toBe(false);
    upstream.on("POST /token", { json: TOKENS });
    await provider.finishAuthorization(await started(provider));
    expect(upstream.requests.find((r) => r.path === "/token")?.form.code_verifier).toBeUndefined();
  });

  test("upstreamScopes can widen the upstream scopes by the MCP scopes asked for", async () => {
    class Widening extends StandInProvider {
      protected override upstreamScopes(request: UpstreamAuthorizationRequest): readonly string[] {
        return request.scopes.includes("posts.write") ? [...this.scopes, "publish"] : this.scopes;
      }
    }
    const provider = new Widening(standInOptions(upstream.origin));
    const start = await provider.startAuthorization({ state: "st", scopes: ["posts.write"] });
    expect(new URL(start.url).searchParams.get("scope")).toBe("read write publish");
  });
});

describe("finishAuthorization", () => {
  test("exchanges the code with PKCE and client_secret_basic, then identifies the user from userinfo", async () => {
    upstream.on("POST /token", { json: TOKENS });
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const callback = await started(provider);
    const before = Math.floor(Date.now() / 1000);
    const grant = await provider.finishAuthorization(callback);

    expect(grant.identity).toEqual({ userId: "u-42", name: "Alice", email: "alice@example.com" });
    expect(grant.tokens).toEqual({
      accessToken: "at-1",
      refreshToken: "rt-1",
      scopes: ["read", "write"],
      tokenType: "Bearer",
      expiresAt: expect.any(Number),
    });
    expect(grant.tokens.expiresAt).toBeGreaterThanOrEqual(before + 3600);
    expect(grant.tokens.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);

    const [token, userinfo] = upstream.requests;
    expect(token?.path).toBe("/token");
    expect(token?.form).toEqual({
      grant_type: "authorization_code",
      code: "the-code",
      redirect_uri: CALLBACK,
      code_verifier: callback.codeVerifier,
    });
    // RFC 6749 §2.3.1: id and secret are form-encoded before base64 (oauth4webapi encodes "-" too).
    const basic = String(token?.headers.authorization).replace(/^Basic /, "");
    const [id, secret] = Buffer.from(basic, "base64").toString("utf8").split(":").map(decodeURIComponent);
    expect([id, secret]).toEqual(["client-1", "s3cret-value"]);
    expect(token?.headers.accept).toBe("application/json");
    expect(userinfo?.path).toBe("/userinfo");
    expect(userinfo?.headers.authorization).toBe("Bearer at-1");
  });

  test("client_secret_post puts the credentials in the form; none sends only the client id", async () => {
    upstream.on("POST /token", { json: TOKENS });
    const post = new StandInProvider(standInOptions(upstream.origin, { clientAuthentication: "client_secret_post" }));
    await post.finishAuthorization(await started(post));
    const postRequest = upstream.requests.find((r) => r.path === "/token");
    expect(postRequest?.headers.authorization).toBeUndefined();
    expect(postRequest?.form).toMatchObject({ client_id: "client-1", client_secret: "s3cret-value" });

    upstream.requests.length = 0;
    const { clientSecret: _, ...publicOptions } = standInOptions(upstream.origin);
    const none = new StandInProvider({ ...publicOptions, clientAuthentication: "none" });
    await none.finishAuthorization(await started(none));
    const noneRequest = upstream.requests.find((r) => r.path === "/token");
    expect(noneRequest?.headers.authorization).toBeUndefined();
    expect(noneRequest?.form.client_id).toBe("client-1");
    expect(noneRequest?.form.client_secret).toBeUndefined();
  });

  test("when the answer leaves scope and expires_in out: the requested scopes, no expiry", async () => {
    upstream.on("POST /token", { json: { access_token: "at-2", token_type: "bearer" } });
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const { tokens } = await provider.finishAuthorization(await started(provider));
    expect(tokens).toEqual({ accessToken: "at-2", scopes: ["read", "write"], tokenType: "Bearer" });
  });

  test("error=access_denied → UpstreamError access_denied, and no token request", async () => {
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const err = await upstreamError(provider.finishAuthorization(await started(provider, { error: "access_denied" })));
    expect(err.kind).toBe("access_denied");
    expect(upstream.requests).toHaveLength(0);
  });

  test("another authorization error → upstream_error naming it", async () => {
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const err = await upstreamError(provider.finishAuthorization(await started(provider, { error: "server_error" })));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toContain("answered the authorization with server_error");
  });

  test("a callback from another issuer (RFC 9207 iss) is refused before the exchange", async () => {
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const err = await upstreamError(
      provider.finishAuthorization(await started(provider, { code: "c", iss: "https://mix-up.example" })),
    );
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toContain("callback check failed");
    expect(upstream.requests).toHaveLength(0);
  });

  test("a missing PKCE verifier is refused before the exchange", async () => {
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const { codeVerifier: _, ...callback } = await started(provider);
    const err = await upstreamError(provider.finishAuthorization(callback));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toContain("PKCE verifier");
    expect(upstream.requests).toHaveLength(0);
  });

  test("the upstream refusing the code (invalid_grant) → invalid_grant, the code not in the message", async () => {
    upstream.on("POST /token", { status: 400, json: { error: "invalid_grant", error_description: "bad code" } });
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const err = await upstreamError(provider.finishAuthorization(await started(provider, { code: "secret-code-xyz" })));
    expect(err.kind).toBe("invalid_grant");
    expect(err.message).toBe("Stand-in: code exchange refused by the upstream: invalid_grant (HTTP 400)");
  });

  test("a custom identify() can call the upstream API with getJson", async () => {
    class ApiIdentified extends StandInProvider {
      protected override async identify(tokens: UpstreamTokens): Promise<UpstreamIdentity> {
        const me = await this.getJson(`${upstream.origin}/api/me`, tokens, { "x-api-version": "2" });
        return { userId: String(me.id), name: String(me.login) };
      }
    }
    upstream.on("POST /token", { json: TOKENS });
    upstream.on("GET /api/me", (request) =>
      request.headers["x-api-version"] === "2" ? { json: { id: 1234, login: "octo" } } : { status: 400 },
    );
    const provider = new ApiIdentified(standInOptions(upstream.origin));
    const grant = await provider.finishAuthorization(await started(provider));
    expect(grant.identity).toEqual({ userId: "1234", name: "octo" });
    expect(upstream.requests.find((r) => r.path === "/api/me")?.headers.authorization).toBe("Bearer at-1");

    upstream.on("GET /api/me", { status: 403, json: { message: "forbidden" } });
    const err = await upstreamError(provider.finishAuthorization(await started(provider)));
    expect(err.message).toBe("Stand-in: GET /api/me failed: unexpected HTTP 403");
  });

  test("identify failures become upstream_error: a thrown Error, or no user id", async () => {
    upstream.on("POST /token", { json: TOKENS });
    class Throws extends StandInProvider {
      protected override async identify(): Promise<UpstreamIdentity> {
        throw new Error("boom with at-1 inside");
      }
    }
    class NoId extends StandInProvider {
      protected override async identify(): Promise<UpstreamIdentity> {
        return { userId: "" };
      }
    }
    const throws = new Throws(standInOptions(upstream.origin));
    const thrown = await upstreamError(throws.finishAuthorization(await started(throws)));
    expect(thrown.kind).toBe("upstream_error");
    // The original message may hold anything: only its kind is kept.
    expect(thrown.message).toBe("Stand-in: identify failed: Error");
    const noId = new NoId(standInOptions(upstream.origin));
    expect((await upstreamError(noId.finishAuthorization(await started(noId)))).message).toContain("no user id");
  });

  test("a userinfo answer without sub → upstream_error naming the step", async () => {
    upstream.on("POST /token", { json: TOKENS });
    upstream.on("GET /userinfo", { json: { name: "no sub" } });
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const err = await upstreamError(provider.finishAuthorization(await started(provider)));
    expect(err.message).toMatch(/^Stand-in: userinfo request failed: malformed answer \(HTTP 200\)/);
  });

  describe("OpenID Connect ID tokens", () => {
    async function idToken(claims: Record<string, unknown>): Promise<string> {
      const { privateKey } = await generateKeyPair("RS256");
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: upstream.origin, aud: "client-1", iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: "RS256" })
        .sign(privateKey);
    }

    test("without a userinfo endpoint, the user comes from the ID token's claims", async () => {
      upstream.on("POST /token", {
        json: { ...TOKENS, id_token: await idToken({ sub: "oidc-7", email: "o@example.com" }) },
      });
      const provider = new StandInProvider(
        standInOptions(upstream.origin, {
          scopes: ["openid", "email"],
          endpoints: { authorization: `${upstream.origin}/authorize`, token: `${upstream.origin}/token` },
        }),
      );
      const grant = await provider.finishAuthorization(await started(provider));
      expect(grant.identity).toEqual({ userId: "oidc-7", email: "o@example.com" });
      expect(upstream.requests.map((r) => r.path)).toEqual(["/token"]);
    });

    test("an ID token from another issuer is refused", async () => {
      upstream.on("POST /token", {
        json: { ...TOKENS, id_token: await idToken({ sub: "x", iss: "https://other.example" }) },
      });
      const provider = new StandInProvider(standInOptions(upstream.origin, { scopes: ["openid"] }));
      const err = await upstreamError(provider.finishAuthorization(await started(provider)));
      expect(err.kind).toBe("upstream_error");
      expect(err.message).toContain("code exchange failed: malformed answer (HTTP 200)");
    });

    test("userinfo must name the ID token's subject", async () => {
      upstream.on("POST /token", { json: { ...TOKENS, id_token: await idToken({ sub: "someone-else" }) } });
      const provider = new StandInProvider(standInOptions(upstream.origin, { scopes: ["openid"] }));
      const err = await upstreamError(provider.finishAuthorization(await started(provider)));
      expect(err.message).toContain("userinfo request failed");
    });
  });
});

describe("refreshTokens", () => {
  test("keeps the refresh token when the upstream does not rotate it, and the scopes when it leaves them out", async () => {
    upstream.on("POST /token", { json: { access_token: "new-access", token_type: "Bearer", expires_in: 60 } });
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const before = Math.floor(Date.now() / 1000);
    const tokens = await provider.refreshTokens(stored());
    expect(tokens).toMatchObject({
      accessToken: "new-access",
      refreshToken: "old-refresh-token-value",
      scopes: ["read", "write"],
    });
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 60);
    expect(upstream.requests[0]?.form).toEqual({
      grant_type: "refresh_token",
      refresh_token: "old-refresh-token-value",
    });
  });

  test("takes the new refresh token and scopes when the upstream rotates", async () => {
    upstream.on("POST /token", { json: { ...TOKENS, refresh_token: "rt-new", scope: "read" } });
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const tokens = await provider.refreshTokens(stored());
    expect(tokens).toMatchObject({ accessToken: "at-1", refreshToken: "rt-new", scopes: ["read"] });
  });

  test("no refresh token → invalid_grant without asking the upstream", async () => {
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const { refreshToken: _, ...withoutRefresh } = stored();
    const err = await upstreamError(provider.refreshTokens(withoutRefresh));
    expect(err.kind).toBe("invalid_grant");
    expect(upstream.requests).toHaveLength(0);
  });

  test("the upstream's invalid_grant → invalid_grant; invalid_client → upstream_error", async () => {
    const provider = new StandInProvider(standInOptions(upstream.origin));
    upstream.on("POST /token", { status: 400, json: { error: "invalid_grant" } });
    const grant = await upstreamError(provider.refreshTokens(stored()));
    expect(grant.kind).toBe("invalid_grant");
    expect(grant.message).toBe("Stand-in: token refresh refused by the upstream: invalid_grant (HTTP 400)");
    upstream.on("POST /token", { status: 400, json: { error: "invalid_client" } });
    expect((await upstreamError(provider.refreshTokens(stored()))).kind).toBe("upstream_error");
  });

  test("an error in an HTTP 200 body (GitHub) is an error; tokenErrorKind maps the upstream's own codes", async () => {
    upstream.on("POST /token", { json: { error: "bad_refresh_token", error_description: "expired" } });
    const plain = new StandInProvider(standInOptions(upstream.origin));
    const err = await upstreamError(plain.refreshTokens(stored()));
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toBe("Stand-in: token refresh refused by the upstream: bad_refresh_token (HTTP 200)");

    class GitHubLike extends StandInProvider {
      protected override tokenErrorKind(error: string, grant: UpstreamGrantType): UpstreamErrorKind {
        return error === "bad_refresh_token" ? "invalid_grant" : super.tokenErrorKind(error, grant);
      }
    }
    const mapped = new GitHubLike(standInOptions(upstream.origin));
    expect((await upstreamError(mapped.refreshTokens(stored()))).kind).toBe("invalid_grant");
  });

  test("tokenRequestExtras adds headers and form parameters to token requests", async () => {
    class Quirky extends StandInProvider {
      protected override tokenRequestExtras(grant: UpstreamGrantType): UpstreamRequestExtras {
        return { headers: { "x-grant": grant }, parameters: { audience: "api" } };
      }
    }
    upstream.on("POST /token", { json: TOKENS });
    const provider = new Quirky(standInOptions(upstream.origin));
    await provider.refreshTokens(stored());
    expect(upstream.requests[0]?.headers["x-grant"]).toBe("refresh_token");
    expect(upstream.requests[0]?.form).toMatchObject({ audience: "api", grant_type: "refresh_token" });
  });

  describe("failures become upstream_error naming the step and HTTP status, never a token", () => {
    const cases: Array<[string, Parameters<StandInUpstream["on"]>[1], RegExp]> = [
      [
        "a 500 page",
        { status: 500, text: "<h1>oops</h1>" },
        /^Stand-in: token refresh failed: unexpected HTTP status \(HTTP 500\)$/,
      ],
      [
        "a 200 that is not JSON",
        { status: 200, text: "access_token=leaked-value" },
        /^Stand-in: token refresh failed: malformed answer \(HTTP 200\)/,
      ],
      [
        "a 200 JSON without access_token",
        { json: { refresh_token: "leaked-value", token_type: "Bearer" } },
        /^Stand-in: token refresh failed: malformed answer \(HTTP 200\): .*access_token/,
      ],
      [
        "an unknown token type",
        { json: { access_token: "leaked-value", token_type: "MAC" } },
        /unsupported answer \(HTTP 200\)/,
      ],
      [
        "a 401 with a challenge",
        { status: 401, headers: { "www-authenticate": 'Basic realm="x"' }, json: { error: "invalid_client" } },
        /HTTP 401 with a basic challenge/,
      ],
    ];
    test.each(cases)("%s", async (_name, answer, message) => {
      upstream.on("POST /token", answer);
      const provider = new StandInProvider(standInOptions(upstream.origin));
      const err = await upstreamError(provider.refreshTokens(stored()));
      expect(err.kind).toBe("upstream_error");
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain("leaked-value");
      expect(err.message).not.toContain("old-refresh-token-value");
      expect(err.cause).toBeUndefined();
    });

    test("an unreachable upstream", async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const provider = new StandInProvider(standInOptions(closed));
      const err = await upstreamError(provider.refreshTokens(stored()));
      expect(err.kind).toBe("upstream_error");
      expect(err.message).toBe("Stand-in: token refresh failed: network error (ECONNREFUSED)");
    });

    test("an upstream slower than requestTimeout", async () => {
      upstream.on("POST /token", { json: TOKENS, delayMs: 1_000 });
      const provider = new StandInProvider(standInOptions(upstream.origin, { requestTimeout: 0.2 }));
      const startedAt = Date.now();
      const err = await upstreamError(provider.refreshTokens(stored()));
      expect(err.message).toBe("Stand-in: token refresh failed: timed out");
      expect(Date.now() - startedAt).toBeLessThan(900);
    });
  });
});

describe("revokeTokens", () => {
  test("revokes the refresh token, then the access token (RFC 7009), with client authentication", async () => {
    upstream.on("POST /revoke", { status: 200 });
    const provider = new StandInProvider(standInOptions(upstream.origin));
    await provider.revokeTokens(stored());
    expect(upstream.requests.map((r) => r.form)).toEqual([
      { token: "old-refresh-token-value", token_type_hint: "refresh_token" },
      { token: "old-access", token_type_hint: "access_token" },
    ]);
    expect(upstream.requests[0]?.headers.authorization).toMatch(/^Basic /);
  });

  test("a refusal → upstream_error naming the step; no endpoint → nothing sent", async () => {
    upstream.on("POST /revoke", { status: 503, text: "down" });
    const provider = new StandInProvider(standInOptions(upstream.origin));
    const err = await upstreamError(provider.revokeTokens(stored()));
    expect(err.message).toBe("Stand-in: revocation of the refresh token failed: unexpected HTTP status (HTTP 503)");

    upstream.requests.length = 0;
    const withoutRevocation = new StandInProvider(
      standInOptions(upstream.origin, {
        endpoints: {
          authorization: `${upstream.origin}/authorize`,
          token: `${upstream.origin}/token`,
          userinfo: `${upstream.origin}/userinfo`,
        },
      }),
    );
    await withoutRevocation.revokeTokens(stored());
    expect(upstream.requests).toHaveLength(0);
  });
});
