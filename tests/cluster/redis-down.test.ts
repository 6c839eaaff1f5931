/**
 * Redis dies (SIGKILL) under two running instances: each answers the requests that
 * need the store (the token endpoint, a protected tool call) with 503 and
 * Retry-After (OAuth: `temporarily_unavailable`) within a second — the
 * issue's requirement: a clear answer, never a hang — while public calls and
 * /health go on and neither process dies. Redis comes back on its port with
 * its data: within seconds the same client, with the same tokens, works again.
 */
import { describe, expect, test } from "vitest";
import { useCluster } from "../helpers/cluster.js";
import { jsonOf, modernBody, modernPost } from "../helpers/mcp-http.js";
import { refreshAt, type SignedIn, signIn, whoamiAt } from "./cluster-login.js";

const REDIRECT = "http://127.0.0.1:47651/callback";
/** The bound on an answer while Redis is down: a second, not a hang. */
const ANSWER_WITHIN_MS = 1000;
/** How long the instances may take to serve again once Redis is back ("within seconds"). */
const RECOVERY_WITHIN_MS = 10_000;

const cluster = useCluster();

describe("Redis killed, then restarted", () => {
  let user: SignedIn;
  const timings: string[] = [];

  test("before: a user logged in through both instances", async () => {
    user = await signIn(cluster.mcpUrl, { redirectUrl: REDIRECT, clientName: "cluster outage", username: "ada" });
    expect((await whoamiAt(cluster.mcpUrl, user.accessToken)).status).toBe(200);
  });

  test("Redis down: each instance answers the token endpoint and a protected call with 503 within a second", async () => {
    await cluster.redis.kill();
    for (const name of ["a", "b"]) {
      const { origin } = cluster.instance(name);
      // Twice each: the first request after the loss and one once the client knows it is down.
      for (let round = 1; round <= 2; round++) {
        const token = await refreshAt(origin, user.clientId, user.refreshToken);
        timings.push(`${name} token #${round}: ${token.ms.toFixed(0)} ms`);
        expect(token.status, JSON.stringify(token.body)).toBe(503);
        expect(token.retryAfter).toBe("5");
        expect(token.body.error).toBe("temporarily_unavailable");
        expect(token.ms, timings.join("; ")).toBeLessThan(ANSWER_WITHIN_MS);

        const who = await whoamiAt(`${origin}/mcp`, user.accessToken);
        timings.push(`${name} whoami #${round}: ${who.ms.toFixed(0)} ms`);
        expect(who.status).toBe(503);
        expect(who.retryAfter).toBe("5");
        expect(who.ms, timings.join("; ")).toBeLessThan(ANSWER_WITHIN_MS);
      }
    }
  });

  test("meanwhile: public calls and /health are served through the proxy, and no process died", async () => {
    const served = new Set<string | undefined>();
    for (let i = 0; i < 2; i++) {
      const body = modernBody("tools/call", { name: "echo", arguments: { text: `still up ${i}` } });
      const res = await jsonOf(await modernPost(cluster.mcpUrl, body), 200);
      expect(res.result?.content).toEqual([{ type: "text", text: `still up ${i}` }]);
      served.add(cluster.proxy.requests.at(-1)?.backend);
    }
    expect([...served].sort()).toEqual(["a", "b"]);
    for (const name of ["a", "b"]) expect((await fetch(`${cluster.instance(name).origin}/health`)).status).toBe(200);
    expect([cluster.instance("a").running, cluster.instance("b").running]).toEqual([true, true]);
  });

  test("Redis back on its port: within seconds the same tokens work on both instances again; nothing was lost", async () => {
    await cluster.redis.restart();
    const started = Date.now();
    const back = new Set<string>();
    while (back.size < 2 && Date.now() - started < RECOVERY_WITHIN_MS) {
      for (const name of ["a", "b"]) {
        if (back.has(name)) continue;
        const who = await whoamiAt(`${cluster.instance(name).origin}/mcp`, user.accessToken);
        if (who.status === 200) {
          expect(who.out).toMatchObject({ userId: "dev:ada", instance: name });
          back.add(name);
        }
      }
      if (back.size < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    timings.push(`both serving again ${Date.now() - started} ms after Redis started`);
    expect([...back].sort(), timings.join("; ")).toEqual(["a", "b"]);

    // The refresh token from before the outage still redeems (its family was kept on disk by Redis).
    const refreshed = await refreshAt(cluster.issuer, user.clientId, user.refreshToken);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    for (let i = 0; i < 2; i++) {
      expect((await whoamiAt(cluster.mcpUrl, refreshed.body.access_token as string)).status).toBe(200);
    }
    expect([cluster.instance("a").running, cluster.instance("b").running]).toEqual([true, true]);
  });
});
