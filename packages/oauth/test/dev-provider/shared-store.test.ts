/**
 * The development IdP across two instances: two servers in this process
 * (OAuthMiddleware with the development provider), on one real Redis with the
 * same keys, behind one public URL (a proxy the test steers, so each step goes
 * to the instance it picks). Codes, tokens and revocations live in Redis and
 * the client secret is derived from the shared encryption key, so a code
 * issued by one instance is exchanged at the other, refreshes and revocations
 * hold everywhere, and a replayed code revokes its grant on both. Redis holds
 * only hashes, under the store's sandbox.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { UpstreamError } from "../../src/provider.js";
import type { UpstreamTokens } from "../../src/store/records.js";
import { freePort } from "../helpers/free-port.js";
import { type StartedOAuthServer, startOAuthServer } from "../helpers/oauth-server.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { rejectionOf } from "../helpers/rejection.js";
import { login, loginAtPage, type StartedLogin } from "./dev-idp.js";
import { type SteeredProxy, startSteeredProxy } from "./steered-proxy.js";

let redis: TestRedis;
let proxy: SteeredProxy;
let a: StartedOAuthServer;
let b: StartedOAuthServer;
/** Every code and token the IdP handed out here: none may appear in Redis. */
const secrets: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const ports = { a: await freePort(), b: await freePort() };
  proxy = await startSteeredProxy(ports);
  const env = {
    SESSION_PROVIDER: "redis",
    SESSION_REDIS_URL: redis.url,
    OAUTH_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    OAUTH_SIGNING_KEY: JSON.stringify(
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }),
    ),
  };
  // Both instances are the proxy's public URL, as behind a load balancer.
  const instance = (port: number) =>
    startOAuthServer({
      env,
      port,
      middleware: { oauthServerUrl: proxy.origin },
      provider: { serverUrl: proxy.origin, logger: { warn: () => {} } },
    });
  [a, b] = await Promise.all([instance(ports.a), instance(ports.b)]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await proxy?.close();
  await redis?.stop();
});

const userinfo = (accessToken: string) =>
  fetch(`${proxy.origin}/dev-idp/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

const upstreamError = (promise: Promise<unknown>) => rejectionOf(promise, UpstreamError);

/** The backends that served `method path` from request number `from` on. */
const servedBy = (from: number, method: string, path: string) =>
  proxy.requests.slice(from).filter((r) => r.method === method && r.path === path);

/** Finishes a started login with `server`'s provider (its token endpoint call goes through the proxy). */
const finishWith = (server: StartedOAuthServer, started: StartedLogin) =>
  server.provider.finishAuthorization({
    url: started.callback,
    state: started.state,
    codeVerifier: started.start.codeVerifier as string,
  });

const keep = (tokens: UpstreamTokens, started?: StartedLogin): void => {
  secrets.push(tokens.accessToken);
  if (tokens.refreshToken !== undefined) secrets.push(tokens.refreshToken);
  const code = started?.callback.searchParams.get("code");
  if (code) secrets.push(code);
};

describe("two instances of the development IdP on one Redis", () => {
  test("a code issued at a is exchanged at b, and its access token works at both", async () => {
    proxy.sendTo("a");
    const from = proxy.requests.length;
    const started = await loginAtPage(a.provider, "alice");
    expect(servedBy(from, "POST", "/dev-idp/authorize").map((r) => r.backend)).toEqual(["a"]);

    proxy.sendTo("b");
    const grant = await finishWith(b, started);
    keep(grant.tokens, started);
    expect(grant.identity).toEqual({ userId: "dev:alice", name: "alice" });
    expect(servedBy(from, "POST", "/dev-idp/token").map((r) => [r.backend, r.status])).toEqual([["b", 200]]);

    proxy.sendTo("a");
    expect((await userinfo(grant.tokens.accessToken)).status).toBe(200);
  });

  test("a token issued at b is refreshed at a; the used refresh token is dead at b; the secret is shared", async () => {
    proxy.sendTo("b");
    const grant = await login(b.provider, "bob");
    keep(grant.tokens);

    proxy.sendTo("a");
    const from = proxy.requests.length;
    const refreshed = await a.provider.refreshTokens(grant.tokens);
    keep(refreshed);
    expect(servedBy(from, "POST", "/dev-idp/token").map((r) => [r.backend, r.status])).toEqual([["a", 200]]);

    proxy.sendTo("b");
    expect((await userinfo(refreshed.accessToken)).status).toBe(200);
    // Rotation holds across instances: each refresh token works once, wherever it is presented.
    expect((await upstreamError(b.provider.refreshTokens(grant.tokens))).kind).toBe("invalid_grant");
    // a's provider authenticates at b's token endpoint: both derived the same client secret.
    const again = await a.provider.refreshTokens(refreshed);
    keep(again);
    expect(proxy.requests.at(-1)).toMatchObject({ path: "/dev-idp/token", backend: "b", status: 200 });
  });

  test("a revocation at one instance is seen at the other: RFC 7009 and revokeUser", async () => {
    proxy.sendTo("a");
    const carol = await login(a.provider, "carol");
    keep(carol.tokens);
    proxy.sendTo("b");
    await b.provider.revokeTokens(carol.tokens);
    proxy.sendTo("a");
    expect((await userinfo(carol.tokens.accessToken)).status).toBe(401);
    expect((await upstreamError(a.provider.refreshTokens(carol.tokens))).kind).toBe("invalid_grant");

    proxy.sendTo("b");
    const dave = await login(b.provider, "dave");
    const erin = await login(b.provider, "erin");
    keep(dave.tokens);
    keep(erin.tokens);
    await a.provider.revokeUser("dev:dave");
    expect((await userinfo(dave.tokens.accessToken)).status).toBe(401);
    expect((await upstreamError(b.provider.refreshTokens(dave.tokens))).kind).toBe("invalid_grant");
    expect((await userinfo(erin.tokens.accessToken)).status).toBe(200);
  });

  test("a code redeemed at a and replayed at b is refused there and revokes its grant at a", async () => {
    proxy.sendTo("a");
    const started = await loginAtPage(a.provider, "frank");
    const first = await finishWith(a, started);
    keep(first.tokens, started);
    expect((await userinfo(first.tokens.accessToken)).status).toBe(200);

    proxy.sendTo("b");
    const from = proxy.requests.length;
    expect((await upstreamError(finishWith(b, started))).kind).toBe("invalid_grant");
    expect(servedBy(from, "POST", "/dev-idp/token").map((r) => [r.backend, r.status])).toEqual([["b", 400]]);

    proxy.sendTo("a");
    expect((await userinfo(first.tokens.accessToken)).status).toBe(401);
    expect((await upstreamError(a.provider.refreshTokens(first.tokens))).kind).toBe("invalid_grant");
  });

  test("Redis holds the IdP's records under the store's sandbox, as hashes only", async () => {
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys("*dev-idp*");
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).toMatch(
          /^chuk-mcp:oauth:oauth-test:dev-idp:(code|code-used|access|refresh|grant-revoked|user-revoked):/,
        );
      }
      const values = await client.mget(...keys);
      expect(secrets.length).toBeGreaterThanOrEqual(15);
      for (const secret of secrets) {
        expect(keys.some((k) => k.includes(secret))).toBe(false);
        expect(values.some((v) => v?.includes(secret))).toBe(false);
      }
    } finally {
      client.disconnect();
    }
  });
});
