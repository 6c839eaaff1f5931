/**
 * The user's upstream token before a protected tool runs, against the real
 * development provider over HTTP: used as is while fresh; refreshed once for
 * many concurrent calls when it expires within five minutes (once across two
 * instances sharing a Redis store, too); an upstream that refuses the refresh
 * ends our grant (401, the client authorizes again); an unreachable upstream
 * is a 502 only once the token has expired; an unreachable store is a 503.
 * Finally: no access token or upstream token ever reaches the logs.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DevOAuthProvider } from "../../src/dev-provider/index.js";
import type { UpstreamGrant } from "../../src/provider.js";
import { UpstreamTokenKeeper } from "../../src/resource/upstream-token.js";
import type { UpstreamTokens } from "../../src/store/records.js";
import { TokenStore } from "../../src/store/token-store.js";
import { freePort } from "../helpers/free-port.js";
import {
  type Answer,
  capturingLogger,
  legacyPost,
  legacyRequest,
  mintToken,
  modernPost,
  openSession,
  parseChallenge,
  toolOutput,
} from "../helpers/mcp-requests.js";
import { useOAuthServer, withOAuthServer } from "../helpers/oauth-server.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

const logs = capturingLogger();
/** Every credential the tests handle: none may appear in the logs. */
const secrets = new Set<string>();

// Upstream tokens live an hour at the IdP: "near expiry" is what our store says, so each test decides it.
const started = useOAuthServer({ logger: logs.logger, provider: { accessTokenTtl: 3600 } });

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Logs `username` in at the development IdP, through its login form, as a browser would. */
async function upstreamLogin(username: string, idp: DevOAuthProvider = started.provider): Promise<UpstreamGrant> {
  const state = randomUUID();
  const start = await idp.startAuthorization({ state, scopes: ["posts.write"] });
  const authorizeUrl = new URL(start.url);
  const form = new URLSearchParams(authorizeUrl.searchParams);
  form.set("username", username);
  form.set("action", "login");
  const res = await fetch(`${authorizeUrl.origin}${authorizeUrl.pathname}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
    redirect: "manual",
  });
  expect(res.status).toBe(302);
  const grant = await idp.finishAuthorization({
    url: new URL(res.headers.get("location") as string),
    state,
    ...(start.codeVerifier === undefined ? {} : { codeVerifier: start.codeVerifier }),
    ...(start.extra === undefined ? {} : { extra: start.extra }),
  });
  remember(grant.tokens);
  return grant;
}

function remember(tokens: UpstreamTokens | undefined): void {
  if (tokens === undefined) return;
  secrets.add(tokens.accessToken);
  if (tokens.refreshToken !== undefined) secrets.add(tokens.refreshToken);
}

/** Our access token for `userId` with `posts.write`, as the token endpoint would issue it. */
async function accessTokenFor(userId: string) {
  const minted = await mintToken(started.ctx, { subject: userId, scopes: ["posts.write"] });
  secrets.add(minted.token);
  return minted;
}

/** `publish` (requiresAuth, posts.write) in the modern era; the handler echoes its externalAccessToken. */
const publish = (token: string): Promise<Answer> =>
  modernPost(started.mcpUrl, "tools/call", { name: "publish", arguments: { content: "hello" } }, { token });

const externalTokenOf = (answer: Answer): string => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (toolOutput(answer) as { externalAccessToken: string }).externalAccessToken;
};

const refreshes = () => started.provider.counters.refresh_token;

describe("a fresh upstream token", () => {
  test("is handed to the handler as is, with no refresh", async () => {
    const { identity, tokens } = await upstreamLogin("fresh");
    await started.ctx.store.saveUpstreamTokens(identity.userId, { ...tokens, expiresAt: nowSeconds() + 3600 });
    const before = refreshes();
    const { token } = await accessTokenFor(identity.userId);
    expect(externalTokenOf(await publish(token))).toBe(tokens.accessToken);
    expect(refreshes()).toBe(before);
  });

  test("without a refresh token, near expiry but not expired: used until it expires, no refresh attempted", async () => {
    const userId = `dev:no-refresh-${randomUUID()}`;
    const upstream = { accessToken: `at-${randomUUID()}`, expiresAt: nowSeconds() + 60, scopes: ["posts"] };
    remember(upstream);
    await started.ctx.store.saveUpstreamTokens(userId, upstream);
    const before = refreshes();
    const { token } = await accessTokenFor(userId);
    expect(externalTokenOf(await publish(token))).toBe(upstream.accessToken);
    expect(refreshes()).toBe(before);
  });
});

describe("an upstream token near expiry or expired", () => {
  test("10 concurrent calls → one refresh at the IdP; every handler sees the new token, and the API takes it", async () => {
    const { identity, tokens } = await upstreamLogin("concurrent");
    await started.ctx.store.saveUpstreamTokens(identity.userId, { ...tokens, expiresAt: nowSeconds() + 120 });
    const before = refreshes();
    const { token } = await accessTokenFor(identity.userId);
    const seen = (await Promise.all(Array.from({ length: 10 }, () => publish(token)))).map(externalTokenOf);
    expect(refreshes() - before).toBe(1);
    const fresh = seen[0] as string;
    secrets.add(fresh);
    expect(fresh).not.toBe(tokens.accessToken);
    expect(new Set(seen)).toEqual(new Set([fresh]));

    const stored = await started.ctx.store.getUpstreamTokens(identity.userId);
    remember(stored);
    expect(stored?.accessToken).toBe(fresh);
    // The IdP rotates refresh tokens: the stored one is the new one.
    expect(stored?.refreshToken).toBeDefined();
    expect(stored?.refreshToken).not.toBe(tokens.refreshToken);
    expect(stored?.expiresAt).toBeGreaterThan(nowSeconds() + 3000);

    // The refreshed token is real: the IdP's API accepts it.
    const posted = await fetch(started.provider.postsUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${fresh}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "refreshed" }),
    });
    expect(posted.status).toBe(201);

    // Fresh now: the next call refreshes nothing.
    expect(externalTokenOf(await publish(token))).toBe(fresh);
    expect(refreshes() - before).toBe(1);
  });

  test("an expired token is refreshed before the handler runs (legacy session)", async () => {
    const { identity, tokens } = await upstreamLogin("expired");
    await started.ctx.store.saveUpstreamTokens(identity.userId, { ...tokens, expiresAt: nowSeconds() - 10 });
    const before = refreshes();
    const { token } = await accessTokenFor(identity.userId);
    const { sessionId } = await openSession(started.mcpUrl, token);
    const answer = await legacyPost(
      started.mcpUrl,
      legacyRequest("tools/call", { name: "publish", arguments: { content: "x" } }),
      { token, sessionId: sessionId as string },
    );
    const fresh = externalTokenOf(answer);
    secrets.add(fresh);
    expect(fresh).not.toBe(tokens.accessToken);
    expect(refreshes() - before).toBe(1);
  });
});

describe("the user must authorize again", () => {
  test("the upstream refuses the refresh (invalid_grant) → 401 invalid_token, upstream tokens deleted, grant revoked", async () => {
    const { identity, tokens } = await upstreamLogin("disabled");
    await started.ctx.store.saveUpstreamTokens(identity.userId, { ...tokens, expiresAt: nowSeconds() + 60 });
    await started.provider.revokeUser(identity.userId);
    const { token, grantId } = await accessTokenFor(identity.userId);
    const before = refreshes();

    const answers = await Promise.all(Array.from({ length: 3 }, () => publish(token)));
    expect(refreshes() - before).toBe(1);
    const descriptions = answers.map((answer) => {
      expect(answer.status).toBe(401);
      const { params } = parseChallenge(answer.headers.get("www-authenticate"));
      expect(params.error).toBe("invalid_token");
      return params.error_description;
    });
    // The calls that shared the failed refresh say why; on a busy machine a call may arrive only
    // after the grant was revoked, and is then refused for that (still invalid_token).
    expect(descriptions).toContain("The Development login authorization has expired; authorize again");
    for (const description of descriptions) {
      expect([
        "The Development login authorization has expired; authorize again",
        "The authorization behind the access token has been revoked",
      ]).toContain(description);
    }
    expect(await started.ctx.store.getUpstreamTokens(identity.userId)).toBeUndefined();
    expect(await started.ctx.store.isGrantRevoked(grantId as string)).toBe(true);
    // The grant is gone: the same access token is refused even for a public tool.
    const echo = await modernPost(started.mcpUrl, "tools/call", { name: "echo", arguments: { text: "x" } }, { token });
    expect(echo.status).toBe(401);
    expect(parseChallenge(echo.headers.get("www-authenticate")).params.error_description).toContain("revoked");
  });

  test("no upstream tokens stored for the user → 401 invalid_token, grant revoked", async () => {
    const { token, grantId } = await accessTokenFor(`dev:never-logged-in-${randomUUID()}`);
    const answer = await modernPost(started.mcpUrl, "tools/call", { name: "whoami", arguments: {} }, { token });
    expect(answer.status).toBe(401);
    const { params } = parseChallenge(answer.headers.get("www-authenticate"));
    expect(params.error).toBe("invalid_token");
    expect(params.error_description).toBe(
      "No Development login authorization is stored for this user; authorize again",
    );
    expect(await started.ctx.store.isGrantRevoked(grantId as string)).toBe(true);
  });

  test("a public tool never touches the upstream tokens", async () => {
    const { token, grantId } = await accessTokenFor(`dev:public-only-${randomUUID()}`);
    const answer = await modernPost(
      started.mcpUrl,
      "tools/call",
      { name: "echo", arguments: { text: "x" } },
      { token },
    );
    expect(answer.status).toBe(200);
    expect(await started.ctx.store.isGrantRevoked(grantId as string)).toBe(false);
  });
});

describe("an unreachable upstream", () => {
  // The provider's endpoints point at a port nobody listens on.
  const offline = useOAuthServer(async () => ({
    logger: logs.logger,
    provider: { serverUrl: `http://127.0.0.1:${await freePort()}` },
  }));

  const stored = (expiresAt: number): UpstreamTokens => {
    const tokens = { accessToken: `at-${randomUUID()}`, refreshToken: `rt-${randomUUID()}`, expiresAt, scopes: [] };
    remember(tokens);
    return tokens;
  };

  const call = async (userId: string) => {
    const { token } = await mintToken(offline.ctx, { subject: userId, scopes: ["posts.write"] });
    secrets.add(token);
    return modernPost(offline.mcpUrl, "tools/call", { name: "publish", arguments: { content: "x" } }, { token });
  };

  test("token near expiry: the refresh fails, the current token is still used", async () => {
    const userId = `dev:${randomUUID()}`;
    const tokens = stored(nowSeconds() + 60);
    await offline.ctx.store.saveUpstreamTokens(userId, tokens);
    expect(externalTokenOf(await call(userId))).toBe(tokens.accessToken);
    // Still stored: a failed refresh ends nothing.
    expect((await offline.ctx.store.getUpstreamTokens(userId))?.accessToken).toBe(tokens.accessToken);
  });

  test("token expired: 502 saying the upstream could not refresh; nothing is revoked", async () => {
    const userId = `dev:${randomUUID()}`;
    await offline.ctx.store.saveUpstreamTokens(userId, stored(nowSeconds() - 5));
    const answer = await call(userId);
    expect(answer.status).toBe(502);
    expect(answer.headers.get("www-authenticate")).toBeNull();
    expect(answer.body?.error?.message).toBe("Development login could not refresh the authorization; try again later");
    expect(JSON.stringify(answer.body)).not.toContain("127.0.0.1");
    expect(await offline.ctx.store.getUpstreamTokens(userId)).toBeDefined();
  });
});

describe("with Redis", () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  test("two instances sharing the store, 5 concurrent calls each → one refresh at the IdP", async () => {
    const sandboxId = `resource-${randomUUID()}`;
    const encryptionKey = randomBytes(32);
    const stores = [0, 1].map(() => new TokenStore({ sandboxId, redisUrl: redis.url, encryptionKey, env: {} }));
    try {
      const { identity, tokens } = await upstreamLogin("two-instances");
      await stores[0]?.saveUpstreamTokens(identity.userId, { ...tokens, expiresAt: nowSeconds() + 30 });
      const instances = stores.map((store) => ({
        keeper: new UpstreamTokenKeeper(),
        ctx: { store, provider: started.provider, providerName: started.provider.name, logger: started.ctx.logger },
      }));
      const before = refreshes();
      const results = await Promise.all(
        instances.flatMap(({ keeper, ctx: c }) =>
          Array.from({ length: 5 }, () => keeper.tokensFor(c, { userId: identity.userId, grantId: undefined })),
        ),
      );
      expect(refreshes() - before).toBe(1);
      const fresh = results[0]?.accessToken as string;
      secrets.add(fresh);
      expect(fresh).not.toBe(tokens.accessToken);
      expect(new Set(results.map((r) => r.accessToken))).toEqual(new Set([fresh]));
      expect((await stores[1]?.getUpstreamTokens(identity.userId))?.accessToken).toBe(fresh);
    } finally {
      for (const store of stores) await store.close();
    }
  });

  test("the store goes down → 503 with Retry-After, no stack; a public tool without a token still works", async () => {
    const down = await startRedis();
    const store = new TokenStore({ sandboxId: "resource-down", redisUrl: down.url, env: {} });
    try {
      await withOAuthServer({ logger: logs.logger, middleware: { tokenStore: store } }, async (server) => {
        const c = await server.middleware.ready;
        const { token } = await mintToken(c, { subject: "dev:redis-user" });
        secrets.add(token);
        const whoami = () => modernPost(server.mcpUrl, "tools/call", { name: "whoami", arguments: {} }, { token });
        // Up: no upstream tokens for this user, but the store answers (401, not 503).
        expect((await whoami()).status).toBe(401);
        await down.stop();
        const answer = await whoami();
        expect(answer.status).toBe(503);
        expect(answer.headers.get("retry-after")).toBe("5");
        expect(answer.body?.error?.message).toBe("The authorization store is unavailable; try again shortly");
        expect(JSON.stringify(answer.body)).not.toMatch(/at |Redis|ECONNREFUSED|stack/);
        const echo = await modernPost(server.mcpUrl, "tools/call", { name: "echo", arguments: { text: "up" } });
        expect(echo.status).toBe(200);
      });
    } finally {
      await down.stop();
    }
  });
});

describe("logs", () => {
  test("no access token or upstream token ever reaches the logs", () => {
    const text = logs.text();
    // The capture works: the refresh, the refusals and the store failure were logged.
    expect(text).toContain("upstream token refreshed");
    expect(text).toContain("the upstream refused to refresh");
    expect(text).toContain("upstream refresh failed");
    expect(text).toContain("The authorization store is unavailable");
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) expect(text.includes(secret), "a credential was logged").toBe(false);
  });
});
