/** The `TokenStore` rules, run against both backends. */
import { describe, expect, test } from "vitest";
import { sha256Hex } from "../../src/store/crypto.js";
import { TokenStoreError } from "../../src/store/errors.js";
import { keyFor } from "../../src/store/keys.js";
import type { TokenStore } from "../../src/store/token-store.js";
import { sleep, useHarnesses } from "./harness.js";
import { client, codeRecord, nowSeconds, opaque, pending, refreshRecord, storeOn } from "./records.js";

const harnesses = useHarnesses();

const storeError = (code: TokenStoreError["code"]) => expect.objectContaining({ name: "TokenStoreError", code });

describe.each(harnesses)("TokenStore on $kind", (h) => {
  /** `count` stores on the same data, like `count` server instances. */
  const instances = (count: number, options: Parameters<typeof storeOn>[1] = {}): TokenStore[] =>
    h.open(count).peers.map((b) => storeOn(b, options));

  describe("clients", () => {
    test("save, get, delete", async () => {
      const [store] = instances(1) as [TokenStore];
      await store.saveClient(client("c1"));
      expect(await store.getClient("c1")).toEqual(client("c1"));
      expect(await store.getClient("c2")).toBeUndefined();
      expect(await store.deleteClient("c1")).toBe(true);
      expect(await store.getClient("c1")).toBeUndefined();
    });

    test("a registration expires after its TTL", async () => {
      const [store] = instances(1) as [TokenStore];
      await store.saveClient(client("short"), 0.1);
      await store.saveClient(client("long"), 60);
      await sleep(300);
      expect(await store.getClient("short")).toBeUndefined();
      expect((await store.getClient("long"))?.clientId).toBe("long");
    });
  });

  describe("pending authorizations", () => {
    test("put, then take exactly once; stored under the state's hash", async () => {
      const { backend } = h.open();
      const store = storeOn(backend);
      const state = opaque();
      await store.putPendingAuthorization(state, pending(), 60);
      expect(await backend.get(keyFor("sandbox-a", "pending", state))).toBeUndefined();
      expect(await backend.get(keyFor("sandbox-a", "pending", sha256Hex(state)))).toContain('"clientId":"client-1"');
      expect(await store.takePendingAuthorization(state)).toEqual(pending());
      expect(await store.takePendingAuthorization(state)).toBeUndefined();
    });

    test("20 concurrent takes (a replayed callback) across instances: exactly one gets it", async () => {
      const stores = instances(4);
      const state = opaque();
      await stores[0]?.putPendingAuthorization(state, pending(), 60);
      const taken = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores[i % stores.length]?.takePendingAuthorization(state)),
      );
      expect(taken.filter((t) => t !== undefined)).toEqual([pending()]);
    });

    test("a live state cannot be stored twice; an expired one is gone", async () => {
      const [store] = instances(1) as [TokenStore];
      const state = opaque();
      await store.putPendingAuthorization(state, pending("first"), 0.1);
      await expect(store.putPendingAuthorization(state, pending("second"), 60)).rejects.toEqual(
        storeError("duplicate_key"),
      );
      await sleep(300);
      expect(await store.takePendingAuthorization(state)).toBeUndefined();
    });
  });

  describe("consents", () => {
    test("save, get, delete, per client and user", async () => {
      const [store] = instances(1) as [TokenStore];
      const consent = { clientId: "c1", userId: "u1", scopes: ["posts.write"], grantedAt: nowSeconds() };
      await store.saveConsent(consent);
      expect(await store.getConsent("c1", "u1")).toEqual(consent);
      expect(await store.getConsent("c1", "u2")).toBeUndefined();
      expect(await store.getConsent("c2", "u1")).toBeUndefined();
      expect(await store.deleteConsent("c1", "u1")).toBe(true);
      expect(await store.getConsent("c1", "u1")).toBeUndefined();
    });

    test("ids containing ':' cannot make two consents share a key", async () => {
      const [store] = instances(1) as [TokenStore];
      await store.saveConsent({ clientId: "a:b", userId: "c", scopes: ["one"], grantedAt: 1 });
      await store.saveConsent({ clientId: "a", userId: "b:c", scopes: ["two"], grantedAt: 2 });
      expect((await store.getConsent("a:b", "c"))?.scopes).toEqual(["one"]);
      expect((await store.getConsent("a", "b:c"))?.scopes).toEqual(["two"]);
    });

    test("a consent with a TTL expires", async () => {
      const [store] = instances(1) as [TokenStore];
      await store.saveConsent({ clientId: "c1", userId: "u1", scopes: ["s"], grantedAt: 1 }, 0.1);
      await sleep(300);
      expect(await store.getConsent("c1", "u1")).toBeUndefined();
    });
  });

  describe("authorization codes", () => {
    test("redeemed once; the second redemption is a replay that revokes the grant", async () => {
      const { backend } = h.open();
      const store = storeOn(backend);
      const code = opaque();
      await store.putAuthorizationCode(code, codeRecord("g1"), 60);
      expect(await store.isGrantRevoked("g1")).toBe(false);
      expect(await store.takeAuthorizationCode(code)).toEqual({ status: "redeemed", record: codeRecord("g1") });
      expect(await store.isGrantRevoked("g1")).toBe(false);
      expect(await store.takeAuthorizationCode(code)).toEqual({ status: "replayed", record: codeRecord("g1") });
      expect(await store.isGrantRevoked("g1")).toBe(true);
      expect(await store.takeAuthorizationCode(opaque())).toEqual({ status: "unknown" });
    });

    test("stored only under the code's hash", async () => {
      const { backend } = h.open();
      const store = storeOn(backend);
      const code = opaque();
      await store.putAuthorizationCode(code, codeRecord(), 60);
      expect(await backend.get(keyFor("sandbox-a", "code", code))).toBeUndefined();
      const raw = await backend.get(keyFor("sandbox-a", "code", sha256Hex(code)));
      expect(raw).toContain('"grantId":"grant-1"');
      expect(raw).not.toContain(code);
    });

    test("20 concurrent redemptions across instances: one redeemed, 19 replayed, grant revoked", async () => {
      const stores = instances(4);
      const code = opaque();
      await stores[0]?.putAuthorizationCode(code, codeRecord("g-race"), 60);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores[i % stores.length]?.takeAuthorizationCode(code)),
      );
      expect(results.filter((r) => r?.status === "redeemed")).toHaveLength(1);
      expect(results.filter((r) => r?.status === "replayed")).toHaveLength(19);
      expect(await stores[1]?.isGrantRevoked("g-race")).toBe(true);
    });

    test("an expired code is unknown; a used code is forgotten after grantRetentionSeconds", async () => {
      const [store] = instances(1, { grantRetentionSeconds: 0.1 }) as [TokenStore];
      const expiring = opaque();
      await store.putAuthorizationCode(expiring, codeRecord("g-exp"), 0.1);
      const used = opaque();
      await store.putAuthorizationCode(used, codeRecord("g-used"), 60);
      expect((await store.takeAuthorizationCode(used)).status).toBe("redeemed");
      await sleep(300);
      expect(await store.takeAuthorizationCode(expiring)).toEqual({ status: "unknown" });
      expect(await store.takeAuthorizationCode(used)).toEqual({ status: "unknown" });
      expect(await store.isGrantRevoked("g-exp")).toBe(false);
    });

    test("a live code cannot be stored twice", async () => {
      const [store] = instances(1) as [TokenStore];
      const code = opaque();
      await store.putAuthorizationCode(code, codeRecord("g1"), 60);
      await expect(store.putAuthorizationCode(code, codeRecord("g2"), 60)).rejects.toEqual(storeError("duplicate_key"));
      expect(await store.takeAuthorizationCode(code)).toEqual({ status: "redeemed", record: codeRecord("g1") });
    });
  });

  describe("refresh-token families", () => {
    const rotate = (store: TokenStore, token: string, next: string, extra: { graceSeconds?: number } = {}) =>
      store.rotateRefreshToken(token, { clientId: "client-1", next, ttlSeconds: 3600, graceSeconds: 0, ...extra });

    test("rotation stores the successor in the same grant and marks the old one used", async () => {
      const { backend } = h.open();
      const store = storeOn(backend);
      const [rt1, rt2] = [opaque(), opaque()];
      await store.putRefreshToken(rt1, refreshRecord("g1"), 3600);
      expect(await backend.get(keyFor("sandbox-a", "refresh", rt1))).toBeUndefined();

      const result = await rotate(store, rt1, rt2);
      expect(result.status).toBe("rotated");
      if (result.status !== "rotated") return;
      expect(result.withinGrace).toBe(false);
      expect(result.previous.grantId).toBe("g1");
      expect(result.current).toMatchObject({
        grantId: "g1",
        clientId: "client-1",
        userId: "user-1",
        scopes: ["posts.write", "profile.read"],
        resource: "http://localhost:8000/mcp",
      });
      expect(result.current.expiresAt - result.current.issuedAt).toBe(3600);
      expect(await store.getRefreshToken(rt2)).toEqual(result.current);
      // The rotated token still has a record (so its reuse can be recognised).
      expect((await store.getRefreshToken(rt1))?.grantId).toBe("g1");
    });

    test("reuse of a rotated token (no grace) revokes the whole family", async () => {
      const [store] = instances(1) as [TokenStore];
      const [rt1, rt2, rt3, rt4] = [opaque(), opaque(), opaque(), opaque()];
      await store.putRefreshToken(rt1, refreshRecord("g1"), 3600);
      expect((await rotate(store, rt1, rt2)).status).toBe("rotated");
      expect(await rotate(store, rt1, rt3)).toEqual({ status: "reused", grantId: "g1" });
      expect(await store.isGrantRevoked("g1")).toBe(true);
      // The successor issued before the reuse is dead too, and no rt3 was stored.
      expect(await rotate(store, rt2, rt4)).toEqual({ status: "revoked", grantId: "g1" });
      expect(await store.getRefreshToken(rt3)).toBeUndefined();
      expect(await store.getRefreshToken(rt4)).toBeUndefined();
    });

    test("reuse within the grace period rotates again; after it, revokes", async () => {
      const [store] = instances(1) as [TokenStore];
      const [rt1, rt2, rt2b, rt2c] = [opaque(), opaque(), opaque(), opaque()];
      await store.putRefreshToken(rt1, refreshRecord("g1"), 3600);
      const first = await rotate(store, rt1, rt2, { graceSeconds: 0.15 });
      expect(first).toMatchObject({ status: "rotated", withinGrace: false });
      const second = await rotate(store, rt1, rt2b, { graceSeconds: 60 });
      expect(second).toMatchObject({ status: "rotated", withinGrace: true });
      expect((await store.getRefreshToken(rt2b))?.grantId).toBe("g1");
      await sleep(300);
      // The grace period runs from the first rotation; the one within grace did not extend it.
      expect(await rotate(store, rt1, rt2c, { graceSeconds: 0.15 })).toEqual({ status: "reused", grantId: "g1" });
      expect(await store.isGrantRevoked("g1")).toBe(true);
    });

    test("10 concurrent rotations across instances, no grace: one rotates, nine are reuse", async () => {
      const stores = instances(4);
      const rt = opaque();
      await stores[0]?.putRefreshToken(rt, refreshRecord("g-race"), 3600);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => rotate(stores[i % stores.length] as TokenStore, rt, opaque())),
      );
      expect(results.filter((r) => r.status === "rotated")).toHaveLength(1);
      expect(results.filter((r) => r.status === "reused")).toHaveLength(9);
      expect(await stores[2]?.isGrantRevoked("g-race")).toBe(true);
    });

    test("10 concurrent rotations within grace: all rotate, exactly one is the first", async () => {
      const stores = instances(4);
      const rt = opaque();
      await stores[0]?.putRefreshToken(rt, refreshRecord("g-grace"), 3600);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          rotate(stores[i % stores.length] as TokenStore, rt, opaque(), { graceSeconds: 60 }),
        ),
      );
      expect(results.every((r) => r.status === "rotated")).toBe(true);
      expect(results.filter((r) => r.status === "rotated" && !r.withinGrace)).toHaveLength(1);
      expect(await stores[0]?.isGrantRevoked("g-grace")).toBe(false);
    });

    test("another client's token is refused and left untouched", async () => {
      const [store] = instances(1) as [TokenStore];
      const [rt1, rt2] = [opaque(), opaque()];
      await store.putRefreshToken(rt1, refreshRecord("g1"), 3600);
      expect(
        await store.rotateRefreshToken(rt1, {
          clientId: "intruder",
          next: opaque(),
          ttlSeconds: 3600,
          graceSeconds: 0,
        }),
      ).toEqual({ status: "client_mismatch" });
      expect(await store.isGrantRevoked("g1")).toBe(false);
      expect(await rotate(store, rt1, rt2)).toMatchObject({ status: "rotated", withinGrace: false });
    });

    test("scopes may narrow but never widen", async () => {
      const [store] = instances(1) as [TokenStore];
      const [rt1, rt2, rt3] = [opaque(), opaque(), opaque()];
      await store.putRefreshToken(rt1, refreshRecord("g1"), 3600);
      const base = { clientId: "client-1", ttlSeconds: 3600, graceSeconds: 0 };
      expect(await store.rotateRefreshToken(rt1, { ...base, next: rt2, scopes: ["posts.write", "admin"] })).toEqual({
        status: "scope_widened",
        granted: ["posts.write", "profile.read"],
      });
      const narrowed = await store.rotateRefreshToken(rt1, { ...base, next: rt3, scopes: ["profile.read"] });
      expect(narrowed).toMatchObject({ status: "rotated", current: { scopes: ["profile.read"] } });
      expect((await store.getRefreshToken(rt3))?.scopes).toEqual(["profile.read"]);
      expect(await store.getRefreshToken(rt2)).toBeUndefined();
    });

    test("unknown and expired tokens are unknown", async () => {
      const [store] = instances(1) as [TokenStore];
      const rt = opaque();
      await store.putRefreshToken(rt, refreshRecord("g1", 60), 0.1);
      await sleep(300);
      expect(await rotate(store, rt, opaque())).toEqual({ status: "unknown" });
      expect(await rotate(store, opaque(), opaque())).toEqual({ status: "unknown" });
      expect(await store.getRefreshToken(rt)).toBeUndefined();
    });

    test("revoking a grant stops its refresh tokens", async () => {
      const [store] = instances(1) as [TokenStore];
      const rt = opaque();
      await store.putRefreshToken(rt, refreshRecord("g1"), 3600);
      await store.putRefreshToken(opaque(), refreshRecord("g2"), 3600);
      await store.revokeGrant("g1");
      expect(await store.isGrantRevoked("g1")).toBe(true);
      expect(await store.isGrantRevoked("g2")).toBe(false);
      expect(await rotate(store, rt, opaque())).toEqual({ status: "revoked", grantId: "g1" });
    });

    test("a grant revocation is remembered for its TTL", async () => {
      const [store] = instances(1) as [TokenStore];
      await store.revokeGrant("g1", 0.1);
      expect(await store.isGrantRevoked("g1")).toBe(true);
      await sleep(300);
      expect(await store.isGrantRevoked("g1")).toBe(false);
    });
  });

  describe("revoked access tokens", () => {
    test("a jti is revoked until the token's own expiry", async () => {
      const [store] = instances(1) as [TokenStore];
      await store.revokeAccessToken("jti-1", Date.now() / 1000 + 0.2);
      await store.revokeAccessToken("jti-long", nowSeconds() + 600);
      await store.revokeAccessToken("jti-expired", nowSeconds() - 10);
      expect(await store.isAccessTokenRevoked("jti-1")).toBe(true);
      expect(await store.isAccessTokenRevoked("jti-2")).toBe(false);
      // Already expired: nothing to remember.
      expect(await store.isAccessTokenRevoked("jti-expired")).toBe(false);
      await sleep(400);
      expect(await store.isAccessTokenRevoked("jti-1")).toBe(false);
      expect(await store.isAccessTokenRevoked("jti-long")).toBe(true);
    });
  });

  describe("upstream tokens", () => {
    const tokens = {
      accessToken: "upstream-access-SECRET-aaaa",
      refreshToken: "upstream-refresh-SECRET-bbbb",
      expiresAt: nowSeconds() + 3600,
      scopes: ["drive.file"],
      tokenType: "Bearer",
    };

    test("round trip, per user", async () => {
      const [store] = instances(1) as [TokenStore];
      await store.saveUpstreamTokens("user-1", tokens);
      expect(await store.getUpstreamTokens("user-1")).toEqual(tokens);
      expect(await store.getUpstreamTokens("user-2")).toBeUndefined();
      expect(await store.deleteUpstreamTokens("user-1")).toBe(true);
      expect(await store.getUpstreamTokens("user-1")).toBeUndefined();
    });

    test("encrypted at rest: the raw value holds no token text, and a fresh IV each time", async () => {
      const { backend } = h.open();
      const store = storeOn(backend);
      const key = keyFor("sandbox-a", "upstream", "user-1");
      await store.saveUpstreamTokens("user-1", tokens);
      const first = (await backend.get(key)) as string;
      expect(first).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      for (const secret of ["upstream-access", "upstream-refresh", "SECRET", "drive.file"]) {
        expect(first).not.toContain(secret);
        expect(Buffer.from(first, "utf8").toString("latin1")).not.toContain(secret);
      }
      await store.saveUpstreamTokens("user-1", tokens);
      const second = (await backend.get(key)) as string;
      expect(second).not.toBe(first);
      expect(await store.getUpstreamTokens("user-1")).toEqual(tokens);
    });

    test("a tampered record, a record moved to another user, or another key: decryption_failed", async () => {
      const { backend } = h.open();
      const store = storeOn(backend);
      await store.saveUpstreamTokens("user-1", tokens);
      const key1 = keyFor("sandbox-a", "upstream", "user-1");
      const sealed = (await backend.get(key1)) as string;

      // Flip one bit of the ciphertext.
      const parts = sealed.split(".");
      const body = Buffer.from(parts[2] as string, "base64url");
      body[0] = (body[0] as number) ^ 1;
      await backend.set(key1, [parts[0], parts[1], body.toString("base64url"), parts[3]].join("."));
      await expect(store.getUpstreamTokens("user-1")).rejects.toEqual(storeError("decryption_failed"));

      // An intact ciphertext under another user's key.
      await backend.set(keyFor("sandbox-a", "upstream", "user-2"), sealed);
      await expect(store.getUpstreamTokens("user-2")).rejects.toEqual(storeError("decryption_failed"));

      // The right place, the wrong key.
      await backend.set(key1, sealed);
      expect(await store.getUpstreamTokens("user-1")).toEqual(tokens);
      const otherKey = storeOn(backend, { encryptionKey: Buffer.alloc(32, 7) });
      await expect(otherKey.getUpstreamTokens("user-1")).rejects.toThrow(TokenStoreError);

      // Garbage.
      await backend.set(key1, "not-a-ciphertext");
      await expect(store.getUpstreamTokens("user-1")).rejects.toEqual(storeError("decryption_failed"));
      // Saving over an unreadable record works (there is nothing in it to keep).
      await store.saveUpstreamTokens("user-1", { accessToken: "fresh", scopes: [] });
      expect(await store.getUpstreamTokens("user-1")).toEqual({ accessToken: "fresh", scopes: [] });
    });

    test("the refresh token outlives the access token and survives a refresh that omits it", async () => {
      const [store] = instances(1) as [TokenStore];
      await store.saveUpstreamTokens("user-1", { ...tokens, expiresAt: nowSeconds() - 60 });
      expect((await store.getUpstreamTokens("user-1"))?.refreshToken).toBe(tokens.refreshToken);
      const expiresAt = nowSeconds() + 3600;
      await store.saveUpstreamTokens("user-1", { accessToken: "new-access", expiresAt, scopes: [] });
      expect(await store.getUpstreamTokens("user-1")).toEqual({
        accessToken: "new-access",
        refreshToken: tokens.refreshToken,
        expiresAt,
        scopes: [],
      });
      await store.saveUpstreamTokens("user-1", { accessToken: "newer", refreshToken: "rotated-refresh", scopes: [] });
      expect((await store.getUpstreamTokens("user-1"))?.refreshToken).toBe("rotated-refresh");
    });

    test("kept for externalTokenTtlSeconds, then gone", async () => {
      const [store] = instances(1, { externalTokenTtlSeconds: 0.15 }) as [TokenStore];
      expect(store.externalTokenTtlSeconds).toBe(0.15);
      await store.saveUpstreamTokens("user-1", tokens);
      await sleep(400);
      expect(await store.getUpstreamTokens("user-1")).toBeUndefined();
    });
  });

  describe("sandbox isolation", () => {
    test("two sandboxes on one backend never see each other's data", async () => {
      const { backend } = h.open();
      const a = storeOn(backend, { sandboxId: "tenant-a" });
      const b = storeOn(backend, { sandboxId: "tenant-b" });
      const [state, code, rt] = [opaque(), opaque(), opaque()];
      await a.saveClient(client("shared-id"));
      await a.putPendingAuthorization(state, pending(), 60);
      await a.saveConsent({ clientId: "shared-id", userId: "u", scopes: ["s"], grantedAt: 1 });
      await a.putAuthorizationCode(code, codeRecord("g1"), 60);
      await a.putRefreshToken(rt, refreshRecord("g1"), 3600);
      await a.revokeGrant("g-revoked");
      await a.revokeAccessToken("jti-1", nowSeconds() + 600);
      await a.saveUpstreamTokens("u", { accessToken: "t", scopes: [] });
      await a.increment("attempts", 60);

      expect(await b.getClient("shared-id")).toBeUndefined();
      expect(await b.takePendingAuthorization(state)).toBeUndefined();
      expect(await b.getConsent("shared-id", "u")).toBeUndefined();
      expect(await b.takeAuthorizationCode(code)).toEqual({ status: "unknown" });
      expect(await b.getRefreshToken(rt)).toBeUndefined();
      expect(
        await b.rotateRefreshToken(rt, { clientId: "client-1", next: opaque(), ttlSeconds: 60, graceSeconds: 0 }),
      ).toEqual({ status: "unknown" });
      expect(await b.isGrantRevoked("g-revoked")).toBe(false);
      expect(await b.isAccessTokenRevoked("jti-1")).toBe(false);
      expect(await b.getUpstreamTokens("u")).toBeUndefined();
      expect(await b.increment("attempts", 60)).toBe(1);

      // And b's attempts changed nothing in a.
      expect((await a.getClient("shared-id"))?.clientId).toBe("shared-id");
      expect(await a.takePendingAuthorization(state)).toEqual(pending());
      expect((await a.takeAuthorizationCode(code)).status).toBe("redeemed");
      expect(await a.isGrantRevoked("g1")).toBe(false);
      expect((await a.getUpstreamTokens("u"))?.accessToken).toBe("t");
      expect(await a.increment("attempts", 60)).toBe(2);
    });
  });

  describe("locks", () => {
    test("withLock excludes concurrent holders across instances, and returns fn's value", async () => {
      const stores = instances(4);
      let active = 0;
      let maxActive = 0;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (stores[i % stores.length] as TokenStore).withLock("section", { ttlMs: 10_000, retryMs: 5 }, async () => {
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(10);
            active--;
            return i;
          }),
        ),
      );
      expect(maxActive).toBe(1);
      expect([...results].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });

    test("ten concurrent callers refresh an upstream token once (double-checked under the lock)", async () => {
      const stores = instances(4);
      await stores[0]?.saveUpstreamTokens("u", { accessToken: "stale", refreshToken: "r", expiresAt: 0, scopes: [] });
      let refreshes = 0;
      const freshToken = (store: TokenStore) =>
        store.withLock("upstream-refresh:u", { ttlMs: 10_000, retryMs: 5 }, async () => {
          const current = await store.getUpstreamTokens("u");
          if (current && (current.expiresAt ?? 0) > nowSeconds()) return current.accessToken;
          refreshes++;
          await sleep(20); // the provider round trip
          await store.saveUpstreamTokens("u", { accessToken: "fresh", expiresAt: nowSeconds() + 3600, scopes: [] });
          return "fresh";
        });
      const tokensSeen = await Promise.all(
        Array.from({ length: 10 }, (_, i) => freshToken(stores[i % 4] as TokenStore)),
      );
      expect(refreshes).toBe(1);
      expect(tokensSeen).toEqual(Array(10).fill("fresh"));
      expect((await stores[3]?.getUpstreamTokens("u"))?.refreshToken).toBe("r");
    });

    test("released when fn throws", async () => {
      const [store] = instances(1) as [TokenStore];
      await expect(
        store.withLock("l", { ttlMs: 10_000 }, async () => {
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await store.withLock("l", { ttlMs: 10_000, waitMs: 0 }, async () => "free")).toBe("free");
    });

    test("a waiter gives up with lock_timeout", async () => {
      const [store] = instances(1) as [TokenStore];
      let release!: () => void;
      const held = store.withLock("l", { ttlMs: 10_000 }, () => new Promise<void>((r) => (release = r)));
      await expect(store.withLock("l", { ttlMs: 10_000, waitMs: 50, retryMs: 10 }, async () => "no")).rejects.toEqual(
        storeError("lock_timeout"),
      );
      release();
      await held;
    });

    test("a lock whose holder outlives its TTL passes on, and the late holder cannot release the successor's lock", async () => {
      const [store] = instances(1) as [TokenStore];
      let releaseA!: () => void;
      let releaseB!: () => void;
      let bEntered!: () => void;
      const bIn = new Promise<void>((r) => (bEntered = r));
      const a = store.withLock("l", { ttlMs: 100 }, () => new Promise<void>((r) => (releaseA = r)));
      await sleep(10);
      const b = store.withLock("l", { ttlMs: 10_000, waitMs: 5_000, retryMs: 10 }, async () => {
        bEntered();
        await new Promise<void>((r) => (releaseB = r));
      });
      await bIn; // only possible once a's lease expired
      releaseA();
      await a;
      await expect(store.withLock("l", { ttlMs: 10_000, waitMs: 0 }, async () => "stolen")).rejects.toEqual(
        storeError("lock_timeout"),
      );
      releaseB();
      await b;
      expect(await store.withLock("l", { ttlMs: 10_000, waitMs: 0 }, async () => "mine")).toBe("mine");
    });
  });

  test("counters count per name", async () => {
    const [store] = instances(1) as [TokenStore];
    expect(await store.increment("login:u1", 60)).toBe(1);
    expect(await store.increment("login:u1", 60)).toBe(2);
    expect(await store.increment("login:u2", 60)).toBe(1);
  });
});
