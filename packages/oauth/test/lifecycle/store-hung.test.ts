/**
 * Redis hangs under a running server (SIGSTOP: its connections stay open and
 * nothing answers): requests answer 503 with Retry-After within a second
 * instead of waiting on the silent connection, and the service works again
 * once Redis goes on (SIGCONT).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
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

beforeAll(async () => {
  redis = await startRedis();
  server = await startOAuthServer({
    env: { SESSION_PROVIDER: "redis", SESSION_REDIS_URL: redis.url },
    provider: { logger: { warn() {} } },
    // Rate limits on, as by default in production: each request makes one more store call before its own.
    middleware: { rateLimits: {} },
  });
});
afterAll(async () => {
  // stop() lets a paused server go on first, should a failure have left it paused.
  await server?.close();
  await redis?.stop();
});

describe("the store hangs", () => {
  test("503 with Retry-After within a second while Redis is frozen; service as before once it goes on", async ({
    annotate,
  }) => {
    const client = await registerClient(server, {
      client_name: "before the hang",
      redirect_uris: ["http://127.0.0.1:40210/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "none",
    });
    const { tokens } = await obtainTokens(server, { client, scope: "posts.write" });
    expect(await toolCallStatus(server, tokens.access_token)).toBe(200);

    redis.pause();
    const rounds = await duringOutage(3000, () => askEveryEndpoint(server, client, tokens));
    for (const answers of rounds) expectPromptUnavailable(answers);
    await annotate(`Redis frozen, first round: ${summarize(rounds[0] ?? [])}`);
    await annotate(`Redis frozen, slowest of ${rounds.length} rounds: ${summarize(slowest(rounds))}`);
    expect((await fetch(`${server.origin}/health`)).status).toBe(200);

    redis.resume();
    const back = await refreshOnceBack(server, client, tokens.refresh_token as string, 5000);
    await annotate(`Redis resumed: the refresh succeeded ${back.waitedMs} ms later`);
    expect(await toolCallStatus(server, tokens.access_token)).toBe(200);
    expect(await toolCallStatus(server, back.tokens.access_token)).toBe(200);
  });
});
