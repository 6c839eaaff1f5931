/**
 * The development IdP's token endpoint, driven through the BaseOAuthProvider
 * methods (oauth4webapi over real HTTP), as the authorization server drives it.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DevOAuthProvider } from "../../src/dev-provider/index.js";
import { UpstreamError } from "../../src/provider.js";
import { generateCodeVerifier } from "../../src/tokens/pkce.js";
import { freePort } from "../helpers/free-port.js";
import { rejectionOf } from "../helpers/rejection.js";
import { type DevIdp, login, loginAtPage, startDevIdp } from "./dev-idp.js";

let idp: DevIdp;
beforeAll(async () => {
  idp = await startDevIdp();
});
afterAll(() => idp.close());

const userinfo = (accessToken: string) =>
  fetch(new URL("/dev-idp/userinfo", idp.origin), { headers: { authorization: `Bearer ${accessToken}` } });

const upstreamError = (promise: Promise<unknown>) => rejectionOf(promise, UpstreamError);

describe("authorization code", () => {
  test("start → login form → finish gives the user dev:alice and working tokens", async () => {
    const before = idp.provider.counters.authorization_code;
    const started = Math.floor(Date.now() / 1000);
    const grant = await login(idp.provider, "alice");
    expect(grant.identity).toEqual({ userId: "dev:alice", name: "alice" });
    expect(grant.tokens.accessToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(grant.tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(grant.tokens.tokenType).toBe("Bearer");
    expect(grant.tokens.scopes).toEqual(["profile", "posts"]);
    // Ten minutes by default: short on purpose, longer than the five-minute refresh window.
    expect(grant.tokens.expiresAt).toBeGreaterThanOrEqual(started + 600);
    expect(grant.tokens.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    expect(idp.provider.counters.authorization_code).toBe(before + 1);

    const me = await userinfo(grant.tokens.accessToken);
    expect(await me.json()).toEqual({ sub: "dev:alice", name: "alice", preferred_username: "alice" });
  });

  test("startAuthorization sends state, scope and an S256 challenge to the login page", async () => {
    const start = await idp.provider.startAuthorization({ state: "abc", scopes: [] });
    const url = new URL(start.url);
    expect(url.origin + url.pathname).toBe(`${idp.origin}/dev-idp/authorize`);
    expect(url.searchParams.get("client_id")).toBe("dev");
    expect(url.searchParams.get("state")).toBe("abc");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(start.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("a wrong PKCE verifier is refused (invalid_grant), and the code is spent", async () => {
    const { state, start, callback } = await loginAtPage(idp.provider, "bob");
    const wrong = await upstreamError(
      idp.provider.finishAuthorization({ url: callback, state, codeVerifier: generateCodeVerifier() }),
    );
    expect(wrong.kind).toBe("invalid_grant");
    expect(wrong.message).toContain("code exchange refused by the upstream: invalid_grant (HTTP 400)");
    expect(wrong.message).not.toContain(callback.searchParams.get("code"));
    // The right verifier no longer helps: a code is consumed by any attempt.
    const retry = await upstreamError(
      idp.provider.finishAuthorization({ url: callback, state, codeVerifier: start.codeVerifier as string }),
    );
    expect(retry.kind).toBe("invalid_grant");
  });

  test("a replayed code is refused and revokes the tokens issued for it", async () => {
    const { state, start, callback } = await loginAtPage(idp.provider, "carol");
    const finish = () =>
      idp.provider.finishAuthorization({ url: callback, state, codeVerifier: start.codeVerifier as string });
    const first = await finish();
    expect((await userinfo(first.tokens.accessToken)).status).toBe(200);
    const replay = await upstreamError(finish());
    expect(replay.kind).toBe("invalid_grant");
    expect((await userinfo(first.tokens.accessToken)).status).toBe(401);
    const refresh = await upstreamError(idp.provider.refreshTokens(first.tokens));
    expect(refresh.kind).toBe("invalid_grant");
  });

  test("a callback whose state is not ours is refused before any code exchange", async () => {
    const before = idp.provider.counters.authorization_code;
    const { start, callback } = await loginAtPage(idp.provider, "dave");
    const err = await upstreamError(
      idp.provider.finishAuthorization({
        url: callback,
        state: "another-state",
        codeVerifier: start.codeVerifier as string,
      }),
    );
    expect(err.kind).toBe("upstream_error");
    expect(err.message).toContain("callback check failed");
    expect(idp.provider.counters.authorization_code).toBe(before);
  });

  test("Cancel on the login page finishes with UpstreamError access_denied", async () => {
    const { state, start, callback } = await loginAtPage(idp.provider, "erin", "deny");
    const err = await upstreamError(
      idp.provider.finishAuthorization({ url: callback, state, codeVerifier: start.codeVerifier as string }),
    );
    expect(err.kind).toBe("access_denied");
  });
});

describe("refresh", () => {
  test("rotates: new tokens, and the old refresh token no longer works", async () => {
    const grant = await login(idp.provider, "frank");
    const before = idp.provider.counters.refresh_token;
    const refreshed = await idp.provider.refreshTokens(grant.tokens);
    expect(idp.provider.counters.refresh_token).toBe(before + 1);
    expect(refreshed.accessToken).not.toBe(grant.tokens.accessToken);
    expect(refreshed.refreshToken).toBeDefined();
    expect(refreshed.refreshToken).not.toBe(grant.tokens.refreshToken);
    expect((await userinfo(refreshed.accessToken)).status).toBe(200);

    const reused = await upstreamError(idp.provider.refreshTokens(grant.tokens));
    expect(reused.kind).toBe("invalid_grant");
    expect(reused.message).toContain("token refresh refused by the upstream: invalid_grant");
    expect(reused.message).not.toContain(grant.tokens.refreshToken);
    // The rotated token still works.
    await expect(idp.provider.refreshTokens(refreshed)).resolves.toMatchObject({ scopes: ["profile", "posts"] });
  });

  test("after revokeUser: API refused, refresh fails with invalid_grant, other users unaffected", async () => {
    const gina = await login(idp.provider, "gina");
    const hank = await login(idp.provider, "hank");
    const pending = await loginAtPage(idp.provider, "gina");
    await idp.provider.revokeUser("dev:gina");
    expect((await userinfo(gina.tokens.accessToken)).status).toBe(401);
    const err = await upstreamError(idp.provider.refreshTokens(gina.tokens));
    expect(err.kind).toBe("invalid_grant");
    // A code issued before the revocation is dead too.
    const exchange = await upstreamError(
      idp.provider.finishAuthorization({
        url: pending.callback,
        state: pending.state,
        codeVerifier: pending.start.codeVerifier as string,
      }),
    );
    expect(exchange.kind).toBe("invalid_grant");
    expect((await userinfo(hank.tokens.accessToken)).status).toBe(200);
    await expect(idp.provider.refreshTokens(hank.tokens)).resolves.toBeDefined();
    // Revoking a user disables what they hold, not the account: a new login works.
    const again = await login(idp.provider, "gina");
    expect((await userinfo(again.tokens.accessToken)).status).toBe(200);
  });

  test("revokeTokens (RFC 7009 at /dev-idp/revoke) ends the access and refresh tokens", async () => {
    const grant = await login(idp.provider, "ivan");
    await idp.provider.revokeTokens(grant.tokens);
    expect((await userinfo(grant.tokens.accessToken)).status).toBe(401);
    expect((await upstreamError(idp.provider.refreshTokens(grant.tokens))).kind).toBe("invalid_grant");
  });
});

describe("without refresh tokens", () => {
  test("issues none, and refreshTokens fails with invalid_grant without asking", async () => {
    const bare = await startDevIdp({ refreshTokens: false });
    try {
      const grant = await login(bare.provider, "judy");
      expect(grant.tokens.refreshToken).toBeUndefined();
      const err = await upstreamError(bare.provider.refreshTokens(grant.tokens));
      expect(err.kind).toBe("invalid_grant");
      expect(err.message).toContain("no refresh token");
      expect(bare.provider.counters.refresh_token).toBe(0);
    } finally {
      await bare.close();
    }
  });
});

describe("an unreachable development IdP", () => {
  test("refresh and code exchange fail with upstream_error naming the step, never the token", async () => {
    const nowhere = new DevOAuthProvider({
      serverUrl: `http://127.0.0.1:${await freePort()}`,
      logger: { warn: () => {} },
    });
    const refresh = await upstreamError(
      nowhere.refreshTokens({ accessToken: "a", refreshToken: "refresh-token-value", scopes: [] }),
    );
    expect(refresh.kind).toBe("upstream_error");
    expect(refresh.message).toBe("Development login: token refresh failed: network error (ECONNREFUSED)");
    const start = await nowhere.startAuthorization({ state: "s", scopes: [] });
    const callback = new URL(`${nowhere.redirectUri}?code=some-code&state=s`);
    const exchange = await upstreamError(
      nowhere.finishAuthorization({ url: callback, state: "s", codeVerifier: start.codeVerifier as string }),
    );
    expect(exchange.message).toBe("Development login: code exchange failed: network error (ECONNREFUSED)");
  });
});

describe("the token endpoint on the wire", () => {
  const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(new URL("/dev-idp/token", idp.origin), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(body),
    });

  test("refuses a client without credentials or with the wrong secret (401 invalid_client)", async () => {
    const none = await token({ grant_type: "refresh_token", refresh_token: "x" });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: "invalid_client" });
    expect(none.headers.get("cache-control")).toBe("no-store");
    // No Basic attempt, no Basic challenge (RFC 6749 §5.2).
    expect(none.headers.get("www-authenticate")).toBeNull();

    const wrong = await token(
      { grant_type: "refresh_token", refresh_token: "x" },
      { authorization: `Basic ${Buffer.from("dev:not-the-secret").toString("base64")}` },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(await wrong.json()).toMatchObject({ error: "invalid_client" });
  });
});
