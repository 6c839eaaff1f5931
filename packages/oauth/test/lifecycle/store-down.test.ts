/**
 * Redis dies under a running server (SIGKILL, as in a crash) and comes back:
 * meanwhile the OAuth endpoints and protected MCP calls answer 503
 * `temporarily_unavailable` with Retry-After within a second, never a 500 or
 * a hang, and the process keeps serving; once Redis is back on its port with
 * its data, the same client's tokens work again within seconds.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { capturingLogger } from "../helpers/mcp-requests.js";
import { obtainTokens, registerClient } from "../helpers/oauth-flow.js";
import { type StartedOAuthServer, startOAuthServer } from "../helpers/oauth-server.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import {
  askEveryEndpoint,
  duringOutage,
  expectPromptUnavailable,
  refreshOnceBack,
  slowest,
  summarize,
  toolCallStatus,
} from "./outage-requests.js";

let redis: TestRedis;
let server: StartedOAuthServer;
const logs = capturingLogger();

beforeAll(async () => {
  // Persistent, so a killed server restarted on its port has lost nothing, as a production Redis would.
  redis = await startRedis({ persistent: true });
  server = await startOAuthServer({
    env: { SESSION_PROVIDER: "redis", SESSION_REDIS_URL: redis.url },
    provider: { logger: { warn() {} } },
    logger: logs.logger,
    // Rate limits on, as by default in production: each request counts itself in the store first.
    middleware: { rateLimits: {} },
  });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

describe("the store goes down and comes back", () => {
  test("503 with Retry-After within a second at every endpoint; the same tokens work again once Redis is back", async ({
    annotate,
  }) => {
    const client = await registerClient(server, {
      client_name: "before the outage",
      redirect_uris: ["http://127.0.0.1:40200/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "none",
    });
    const { tokens } = await obtainTokens(server, { client, scope: "posts.write" });
    expect(await toolCallStatus(server, tokens.access_token)).toBe(200);

    await redis.kill();
    // Asked again and again for a few seconds, while reconnection attempts space out to their one-second cap.
    const rounds = await duringOutage(3000, () => askEveryEndpoint(server, client, tokens));
    for (const answers of rounds) expectPromptUnavailable(answers);
    await annotate(`Redis killed, first round: ${summarize(rounds[0] ?? [])}`);
    await annotate(`Redis killed, slowest of ${rounds.length} rounds: ${summarize(slowest(rounds))}`);
    const registration = await fetch(`${server.origin}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "during", redirect_uris: ["http://127.0.0.1:40200/cb"] }),
    });
    expect(await registration.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "The authorization store is unavailable; try again shortly",
    });
    expect((await fetch(`${server.origin}/health`)).status).toBe(200);

    await redis.restart();
    // Reconnection is tried at least once a second; a few seconds is the "within seconds".
    const back = await refreshOnceBack(server, client, tokens.refresh_token as string, 5000);
    await annotate(`Redis restarted: the refresh succeeded ${back.waitedMs} ms later`);
    // Nothing was lost: the access token from before the outage and the refreshed one both verify.
    expect(await toolCallStatus(server, tokens.access_token)).toBe(200);
    expect(await toolCallStatus(server, back.tokens.access_token)).toBe(200);
    expect(await server.middleware.store.getClient(client.clientId)).toMatchObject({
      clientName: "before the outage",
    });

    // The outage was logged once and its end once, without a token.
    const text = logs.text();
    expect(text.match(/Redis connection lost/g)).toHaveLength(1);
    expect(text.match(/Redis connection restored/g)).toHaveLength(1);
    for (const secret of [tokens.access_token, tokens.refresh_token as string, back.tokens.refresh_token as string]) {
      expect(text).not.toContain(secret);
    }
  });
});
