/** What only the Redis backend can show: a restart keeps everything, keys are namespaced, nothing readable at rest. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { TokenStore } from "../../src/store/token-store.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { client, codeRecord, nowSeconds, opaque, pending, refreshRecord } from "./records.js";

let redis: TestRedis;
let raw: Redis;
const KEY = randomBytes(32);

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
afterEach(async () => {
  await raw.flushall();
});
afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});

const open = (sandboxId = "app", encryptionKey: Uint8Array = KEY) =>
  new TokenStore({ sandboxId, redisUrl: redis.url, encryptionKey, env: {} });

/** Every key and value in the Redis database. */
async function dump(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await raw.keys("*")) {
    const type = await raw.type(key);
    expect(type).toBe("string");
    out.set(key, (await raw.get(key)) ?? "");
  }
  return out;
}

describe("TokenStore on Redis", () => {
  test("a restarted server (a new TokenStore on the same Redis) keeps clients, grants and tokens", async () => {
    const [state, code, rt, rt2] = [opaque(), opaque(), opaque(), opaque()];
    const upstream = {
      accessToken: "up-access",
      refreshToken: "up-refresh",
      expiresAt: nowSeconds() + 60,
      scopes: ["x"],
    };
    const before = open();
    expect(before.backendKind).toBe("redis");
    await before.saveClient(client("c1"), 3600);
    await before.putPendingAuthorization(state, pending("c1"), 600);
    await before.saveConsent({ clientId: "c1", userId: "user-1", scopes: ["posts.write"], grantedAt: 1 });
    await before.putAuthorizationCode(code, codeRecord("g1"), 600);
    await before.putRefreshToken(rt, refreshRecord("g1"), 3600);
    await before.revokeAccessToken("jti-1", nowSeconds() + 600);
    await before.revokeGrant("g-old");
    await before.saveUpstreamTokens("user-1", upstream);
    await before.close();

    const after = open();
    expect(await after.getClient("c1")).toEqual(client("c1"));
    expect(await after.takePendingAuthorization(state)).toEqual(pending("c1"));
    expect((await after.getConsent("c1", "user-1"))?.scopes).toEqual(["posts.write"]);
    expect(await after.takeAuthorizationCode(code)).toEqual({ status: "redeemed", record: codeRecord("g1") });
    const rotation = await after.rotateRefreshToken(rt, {
      clientId: "client-1",
      next: rt2,
      ttlSeconds: 3600,
      graceSeconds: 0,
    });
    expect(rotation).toMatchObject({ status: "rotated", current: { grantId: "g1" } });
    expect(await after.isAccessTokenRevoked("jti-1")).toBe(true);
    expect(await after.isGrantRevoked("g-old")).toBe(true);
    expect(await after.getUpstreamTokens("user-1")).toEqual(upstream);
    await after.close();

    // Restarted with another encryption key: upstream tokens cannot be read.
    const rekeyed = open("app", randomBytes(32));
    await expect(rekeyed.getUpstreamTokens("user-1")).rejects.toMatchObject({ code: "decryption_failed" });
    await rekeyed.close();
  });

  test("every key carries the prefix and the sandbox id; no token, code, state or secret is readable at rest", async () => {
    const [state, code, rt] = [opaque(), opaque(), opaque()];
    const store = open("tenant-7");
    await store.saveClient({ ...client("c1"), clientSecretHash: "f".repeat(64) });
    await store.putPendingAuthorization(state, pending(), 600);
    await store.putAuthorizationCode(code, codeRecord(), 600);
    await store.putRefreshToken(rt, refreshRecord(), 3600);
    await store.saveUpstreamTokens("user-1", {
      accessToken: "ya29.UPSTREAM-ACCESS",
      refreshToken: "1//UPSTREAM-REFRESH",
      scopes: ["drive.file"],
    });
    await store.withLock("l", { ttlMs: 10_000 }, async () => {
      const keys = [...(await dump()).keys()];
      expect(keys.some((k) => k.startsWith("chuk-mcp:oauth:tenant-7:lock:"))).toBe(true);
    });
    await store.close();

    const all = await dump();
    expect(all.size).toBe(5);
    for (const [key, value] of all) {
      expect(key.startsWith("chuk-mcp:oauth:tenant-7:")).toBe(true);
      for (const secret of [state, code, rt, "UPSTREAM-ACCESS", "UPSTREAM-REFRESH", "drive.file"]) {
        expect(key).not.toContain(secret);
        expect(value).not.toContain(secret);
      }
    }
    expect([...all.keys()].map((k) => k.split(":")[3]).sort()).toEqual([
      "client",
      "code",
      "pending",
      "refresh",
      "upstream",
    ]);
  });

  test("Redis enforces the TTLs: upstream tokens for OAUTH_EXTERNAL_TOKEN_TTL, codes for their own", async () => {
    const store = new TokenStore({
      sandboxId: "ttl",
      redisUrl: redis.url,
      encryptionKey: KEY,
      env: { OAUTH_EXTERNAL_TOKEN_TTL: "7200" },
    });
    await store.saveUpstreamTokens("u", { accessToken: "a", refreshToken: "r", expiresAt: nowSeconds(), scopes: [] });
    await store.putAuthorizationCode(opaque(), codeRecord(), 600);
    await store.close();
    const ttls = new Map<string, number>();
    for (const key of await raw.keys("*")) ttls.set(key.split(":")[3] as string, await raw.pttl(key));
    expect(ttls.get("upstream")).toBeGreaterThan(7_200_000 - 60_000);
    expect(ttls.get("upstream")).toBeLessThanOrEqual(7_200_000);
    expect(ttls.get("code")).toBeGreaterThan(600_000 - 60_000);
    expect(ttls.get("code")).toBeLessThanOrEqual(600_000);
  });

  test("an existing ioredis client is used with its own key prefix, and left open by close()", async () => {
    const own = new Redis(redis.url);
    try {
      const store = new TokenStore({
        sandboxId: "s1",
        redisClient: own,
        redisKeyPrefix: "app1:",
        encryptionKey: KEY,
        env: {},
      });
      expect(store.backendKind).toBe("redis");
      await store.saveClient(client("c1"));
      await store.close();
      expect(await own.ping()).toBe("PONG");
      expect(await raw.keys("*")).toEqual(["app1:oauth:s1:client:c1"]);
      const again = new TokenStore({
        sandboxId: "s1",
        redisUrl: redis.url,
        redisKeyPrefix: "app1:",
        encryptionKey: KEY,
        env: {},
      });
      expect((await again.getClient("c1"))?.clientId).toBe("c1");
      await again.close();
      // The default prefix does not see it.
      const other = open("s1");
      expect(await other.getClient("c1")).toBeUndefined();
      await other.close();
    } finally {
      own.disconnect();
    }
  });
});
