/**
 * Redis answers, but with an error (a key of the wrong type, planted here by
 * another client; a script that fails on it): that is a fault of the server
 * or its data, so the answer is a 500 `server_error`, logged without the
 * token, and not a 503 that tells clients to retry what will fail again.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256Hex } from "../../src/store/crypto.js";
import { keyFor } from "../../src/store/keys.js";
import { GRANT_ID_CLAIM } from "../../src/tokens/access-token.js";
import { capturingLogger, modernPost } from "../helpers/mcp-requests.js";
import { jwtPayload, obtainTokens, saveClient, tokenRequest } from "../helpers/oauth-flow.js";
import { type StartedOAuthServer, startOAuthServer } from "../helpers/oauth-server.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

let redis: TestRedis;
let raw: Redis;
let server: StartedOAuthServer;
const logs = capturingLogger();

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  server = await startOAuthServer({
    env: { SESSION_PROVIDER: "redis", SESSION_REDIS_URL: redis.url },
    provider: { logger: { warn() {} } },
    logger: logs.logger,
  });
});
afterAll(async () => {
  await server?.close();
  raw?.disconnect();
  await redis?.stop();
});

/** Puts a list where the store keeps a string: every command of the store on that key gets WRONGTYPE. */
async function plantList(kind: Parameters<typeof keyFor>[1], id: string): Promise<void> {
  // "chuk-mcp:" is the backend's default key prefix; "oauth-test" the sandbox the test server's name gives.
  await raw.rpush(`chuk-mcp:${keyFor("oauth-test", kind, id)}`, "not a record");
}

describe("Redis answers with an error", () => {
  test("a refresh token whose key has the wrong type: 500 server_error without Retry-After, logged", async () => {
    const client = await saveClient(server);
    const token = "planted-refresh-token-value";
    await plantList("refresh", sha256Hex(token));
    const answer = await tokenRequest(server, client, { grant_type: "refresh_token", refresh_token: token });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: "server_error" });
    expect(answer.headers.get("retry-after")).toBeNull();
    expect(logs.text()).toContain('"code":"command_failed"');
    expect(logs.text()).toContain("WRONGTYPE");
    expect(logs.text()).not.toContain(token);
  });

  test("a code whose key has the wrong type makes the redeeming script fail: 500, not 503", async () => {
    const client = await saveClient(server);
    const code = "planted-authorization-code-value";
    await plantList("code", sha256Hex(code));
    const answer = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code,
      code_verifier: "v".repeat(43),
      redirect_uri: client.redirectUri,
    });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: "server_error" });
    expect(logs.text()).not.toContain(code);
  });

  test("a protected MCP call whose grant's revocation key has the wrong type: 500, not 503", async () => {
    const { tokens } = await obtainTokens(server, { scope: "posts.write" });
    await plantList("grant-revoked", String(jwtPayload(tokens.access_token)[GRANT_ID_CLAIM]));
    const answer = await modernPost(
      server.mcpUrl,
      "tools/call",
      { name: "whoami", arguments: {} },
      { token: tokens.access_token },
    );
    expect(answer.status).toBe(500);
    expect(answer.headers.get("retry-after")).toBeNull();
    expect(logs.text()).not.toContain(tokens.access_token);
  });
});
