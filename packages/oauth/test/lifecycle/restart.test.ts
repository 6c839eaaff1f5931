/**
 * A server restarted on Redis (with its signing and encryption keys
 * configured, as in production) keeps everything: the registered client, the
 * grant, the access token, the refresh token, the upstream tokens, and the
 * revocations made before the restart. With a generated key nothing issued
 * before survives, and the server says so at start-up. A signing key can be
 * rotated: the previous key verifies (and is published) until it is retired.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { capturingLogger, modernPost, toolOutput } from "../helpers/mcp-requests.js";
import { exchangeCode, jwtPayload, obtainTokens, refresh, registerClient, revoke } from "../helpers/oauth-flow.js";
import { startOAuthServer } from "../helpers/oauth-server.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

let redis: TestRedis;
const signingKey = JSON.stringify(
  generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }),
);
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  env = {
    SESSION_PROVIDER: "redis",
    SESSION_REDIS_URL: redis.url,
    OAUTH_SIGNING_KEY: signingKey,
    OAUTH_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
});
afterAll(async () => {
  await redis?.stop();
});

const quietProvider = { logger: { warn() {} } };

describe("restarted on Redis with configured keys", () => {
  test("clients, grants, access and refresh tokens, upstream tokens and revocations all survive", async () => {
    const first = await startOAuthServer({ env, provider: quietProvider });
    const port = Number(new URL(first.origin).port);
    const client = await registerClient(first, {
      client_name: "Survivor",
      redirect_uris: ["http://127.0.0.1:40000/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "none",
    });
    const { tokens } = await obtainTokens(first, { client, scope: "posts.write" });
    const revoked = await obtainTokens(first, { client, scope: "posts.write" });
    expect((await revoke(first, client, revoked.tokens.refresh_token as string)).status).toBe(200);
    const before = toolOutput(
      await modernPost(
        first.mcpUrl,
        "tools/call",
        { name: "publish", arguments: { content: "x" } },
        { token: tokens.access_token },
      ),
    );
    await first.close();

    const second = await startOAuthServer({ env, port, provider: quietProvider });
    try {
      expect(second.origin).toBe(first.origin);
      // The access token verifies, and the upstream token is read back (decrypted) from Redis.
      const after = await modernPost(
        second.mcpUrl,
        "tools/call",
        { name: "publish", arguments: { content: "x" } },
        { token: tokens.access_token },
      );
      expect(toolOutput(after)).toEqual(before);
      expect((before as { externalAccessToken: string }).externalAccessToken).toEqual(expect.any(String));
      // The client is still registered, and its refresh token rotates.
      expect(await second.middleware.store.getClient(client.clientId)).toMatchObject({ clientName: "Survivor" });
      const refreshed = await refresh(second, client, tokens.refresh_token as string);
      expect(refreshed.status).toBe(200);
      expect(jwtPayload(refreshed.body?.access_token as string)).toMatchObject({
        sub: jwtPayload(tokens.access_token).sub,
      });
      // What was revoked before the restart stays revoked.
      const dead = await modernPost(
        second.mcpUrl,
        "tools/call",
        { name: "whoami", arguments: {} },
        { token: revoked.tokens.access_token },
      );
      expect(dead.status).toBe(401);
      expect((await refresh(second, client, revoked.tokens.refresh_token as string)).body?.error).toBe("invalid_grant");
      // And a new login works against the restarted server.
      const again = await obtainTokens(second, { client });
      expect(again.tokens.access_token).toEqual(expect.any(String));
    } finally {
      await second.close();
    }
  });
});

describe("restarted with a generated key", () => {
  test("tokens issued before the restart are refused, and start-up warned that they would be", async () => {
    const logs = capturingLogger();
    const first = await startOAuthServer({ provider: quietProvider, logger: logs.logger });
    const port = Number(new URL(first.origin).port);
    const { tokens, client, authorization } = await obtainTokens(first);
    await first.close();
    expect(logs.text()).toContain("OAUTH_SIGNING_KEY");

    const second = await startOAuthServer({ port, provider: quietProvider });
    try {
      const res = await modernPost(
        second.mcpUrl,
        "tools/call",
        { name: "whoami", arguments: {} },
        { token: tokens.access_token },
      );
      expect(res.status).toBe(401);
      // The memory store is gone too: the code and refresh token are unknown.
      expect((await refresh(second, client, tokens.refresh_token as string)).body?.error).toBe("invalid_client");
      const code = await exchangeCode(second, client, {
        code: authorization.code as string,
        verifier: authorization.pkce.verifier,
      });
      expect(code.status).toBe(401);
    } finally {
      await second.close();
    }
  });
});

describe("signing key rotation across restarts", () => {
  test("a new key signs, the old one still verifies until retired; both are published meanwhile", async () => {
    const newKey = JSON.stringify(
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }),
    );
    const kidOf = (token: string) =>
      (JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()) as { kid: string }).kid;
    const jwksKids = async (origin: string) =>
      ((await (await fetch(`${origin}/oauth/jwks`)).json()) as { keys: { kid: string; d?: string }[] }).keys.map(
        (k) => k.kid,
      );
    const call = (url: string, token: string) =>
      modernPost(url, "tools/call", { name: "whoami", arguments: {} }, { token });

    // Before: the old key signs.
    const before = await startOAuthServer({ env, provider: quietProvider });
    const port = Number(new URL(before.origin).port);
    const old = await obtainTokens(before);
    const oldKid = kidOf(old.tokens.access_token);
    await before.close();

    // Rotation: the new key signs, the old one is kept for verifying.
    const rotating = await startOAuthServer({
      env: { ...env, OAUTH_SIGNING_KEY: newKey, OAUTH_PREVIOUS_SIGNING_KEYS: JSON.stringify([JSON.parse(signingKey)]) },
      port,
      provider: quietProvider,
    });
    let fresh: string;
    try {
      expect((await call(rotating.mcpUrl, old.tokens.access_token)).status).toBe(200);
      fresh = (await obtainTokens(rotating)).tokens.access_token;
      expect(kidOf(fresh)).not.toBe(oldKid);
      expect(await jwksKids(rotating.origin)).toEqual([kidOf(fresh), oldKid]);
    } finally {
      await rotating.close();
    }

    // Retired: only the new key; tokens it signed still work, the old key's do not.
    const retired = await startOAuthServer({
      env: { ...env, OAUTH_SIGNING_KEY: newKey },
      port,
      provider: quietProvider,
    });
    try {
      expect(await jwksKids(retired.origin)).toEqual([kidOf(fresh)]);
      expect((await call(retired.mcpUrl, fresh)).status).toBe(200);
      expect((await call(retired.mcpUrl, old.tokens.access_token)).status).toBe(401);
    } finally {
      await retired.close();
    }
  });
});
