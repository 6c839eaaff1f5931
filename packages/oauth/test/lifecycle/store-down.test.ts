/**
 * Redis dies under a running server (SIGKILL, as in a crash) and comes back:
 * meanwhile the OAuth endpoints and protected MCP calls answer 503
 * `temporarily_unavailable` with Retry-After within a second, never a 500 or
 * a hang, and the process keeps serving; once Redis is back on its port with
 * its data, the same client's tokens work again within seconds.
 */
import { describe, expect, test } from "vitest";
import { capturingLogger } from "../helpers/mcp-requests.js";
import { clientBeforeOutage, expectOutageAnswered, expectServiceBack, useOutageFixture } from "./outage-requests.js";

const logs = capturingLogger();
const fixture = useOutageFixture(logs.logger);

describe("the store goes down and comes back", () => {
  test("503 with Retry-After within a second at every endpoint; the same tokens work again once Redis is back", async ({
    annotate,
  }) => {
    const { server, redis } = fixture;
    const held = await clientBeforeOutage(server, "before the outage");

    await redis.kill();
    await expectOutageAnswered(server, held, "Redis killed", annotate);
    const registration = await fetch(`${server.origin}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "during", redirect_uris: ["http://127.0.0.1:40200/cb"] }),
    });
    expect(await registration.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "The authorization store is unavailable; try again shortly",
    });

    await redis.restart();
    const refreshed = await expectServiceBack(server, held, "Redis restarted", annotate);
    expect(await server.middleware.store.getClient(held.client.clientId)).toMatchObject({
      clientName: "before the outage",
    });

    // The outage was logged once and its end once, without a token.
    const text = logs.text();
    expect(text.match(/Redis connection lost/g)).toHaveLength(1);
    expect(text.match(/Redis connection restored/g)).toHaveLength(1);
    for (const secret of [
      held.tokens.access_token,
      held.tokens.refresh_token as string,
      refreshed.refresh_token as string,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
