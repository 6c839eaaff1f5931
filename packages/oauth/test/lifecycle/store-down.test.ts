/**
 * Redis stops under a running server: the OAuth endpoints answer 503
 * `temporarily_unavailable` with Retry-After (the request was neither right
 * nor wrong), never a 500 or a hang, and the process keeps serving.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { registerClient } from "../helpers/oauth-flow.js";
import { type StartedOAuthServer, startOAuthServer } from "../helpers/oauth-server.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

let redis: TestRedis;
let server: StartedOAuthServer;

beforeAll(async () => {
  redis = await startRedis();
  server = await startOAuthServer({
    env: { SESSION_PROVIDER: "redis", SESSION_REDIS_URL: redis.url },
    provider: { logger: { warn() {} } },
  });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

const unavailable = async (response: Response) => {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("5");
  return response;
};

describe("the store goes down", () => {
  test("registration, token and authorization requests get 503 with Retry-After; health still answers", async () => {
    const client = await registerClient(server, {
      client_name: "before the outage",
      redirect_uris: ["http://127.0.0.1:40200/cb"],
      token_endpoint_auth_method: "none",
    });
    await redis.stop();

    const registration = await unavailable(
      await fetch(`${server.origin}/oauth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_name: "during", redirect_uris: ["http://127.0.0.1:40200/cb"] }),
      }),
    );
    expect(await registration.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "The authorization store is unavailable; try again shortly",
    });
    const token = await unavailable(
      await fetch(`${server.origin}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "x", client_id: client.clientId }),
      }),
    );
    expect((await token.json()) as { error: string }).toMatchObject({ error: "temporarily_unavailable" });
    await unavailable(
      await fetch(`${server.origin}/oauth/authorize?client_id=${client.clientId}`, { redirect: "manual" }),
    );
    expect((await fetch(`${server.origin}/health`)).status).toBe(200);
  });
});
