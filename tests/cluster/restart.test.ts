/**
 * One instance killed (SIGKILL) in the middle of a call, then restarted on its
 * port: meanwhile the other instance serves everything (the proxy skips the
 * refused instance, as nginx's `proxy_next_upstream error` does), and the
 * restarted instance, whose memory is empty, serves the same clients again —
 * registrations, tokens, refresh families and legacy sessions live in Redis,
 * so nothing is lost.
 */
import { describe, expect, test } from "vitest";
import { useCluster } from "../helpers/cluster.js";
import {
  sessionHeaders as headersOf,
  jsonOf,
  LEGACY,
  legacyInitialize,
  META,
  modernBody,
  modernPost,
  post,
  SseReader,
} from "../helpers/mcp-http.js";
import { refreshAt, type SignedIn, signIn, whoamiAt } from "./cluster-login.js";

const REDIRECT = "http://127.0.0.1:47641/callback";

// No grace for a reused refresh token: a reuse is detected (and the family revoked) at once.
const cluster = useCluster({ env: { OAUTH_REFRESH_REUSE_GRACE: "0" } });

/** Refreshes through the proxy, keeping the family's newest tokens in `user`. */
async function refresh(user: SignedIn): Promise<string | undefined> {
  const res = await refreshAt(cluster.issuer, user.clientId, user.refreshToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  user.accessToken = res.body.access_token as string;
  user.refreshToken = res.body.refresh_token as string;
  return cluster.proxy.requests.at(-1)?.backend;
}

describe("instance b killed mid-call, then restarted", () => {
  let user: SignedIn;
  let firstRefreshToken: string;
  let sessionHeaders: Record<string, string>;

  test("before: a user logged in through both instances, and a legacy session was opened", async () => {
    user = await signIn(cluster.mcpUrl, { redirectUrl: REDIRECT, clientName: "cluster restart", username: "ada" });
    firstRefreshToken = user.refreshToken;
    expect(new Set(cluster.proxy.requests.map((r) => r.backend))).toEqual(new Set(["a", "b"]));
    // Only `initialize` now (one instance); the session is used after the restart, below.
    const init = await legacyInitialize(cluster.mcpUrl);
    expect((await jsonOf(init, 200)).result?.protocolVersion).toBe(LEGACY);
    sessionHeaders = headersOf(init);
  });

  test("killed while running a call: that call's stream breaks, every later request is answered by a", async () => {
    await cluster.steerTo("b");
    const body = modernBody("tools/call", {
      name: "count",
      arguments: { n: 50, intervalMs: 100 },
      _meta: META({ progressToken: "doomed" }),
    });
    const stream = new SseReader(await modernPost(cluster.mcpUrl, body));
    const first = await stream.next();
    expect(first?.method).toBe("notifications/progress");
    expect(cluster.proxy.requests.at(-1)?.backend).toBe("b");
    await cluster.kill("b");
    // The call in flight is lost with its process (the proxy never resends a request a backend got).
    const rest = await stream.rest().catch(() => []);
    expect(rest.some((m) => m.id === body.id)).toBe(false);

    const from = cluster.proxy.requests.length;
    for (let i = 0; i < 4; i++) {
      const who = await whoamiAt(cluster.mcpUrl, user.accessToken);
      expect(who.status).toBe(200);
      expect(who.out).toMatchObject({ userId: "dev:ada", instance: "a" });
    }
    const during = cluster.proxy.requests.slice(from);
    expect(during.every((r) => r.backend === "a")).toBe(true);
    // Half of them were first sent to b, refused, and retried on a.
    expect(during.filter((r) => r.refusedBy.includes("b")).length).toBeGreaterThanOrEqual(2);

    // The token endpoint works on the survivor: the family rotates.
    expect(await refresh(user)).toBe("a");
    expect((await whoamiAt(cluster.mcpUrl, user.accessToken)).out?.instance).toBe("a");
  });

  test("restarted: b serves again, with the registration, tokens and refresh family issued before and during its absence", async () => {
    await cluster.restart("b");
    const from = cluster.proxy.requests.length;
    const answers = [
      await whoamiAt(cluster.mcpUrl, user.accessToken),
      await whoamiAt(cluster.mcpUrl, user.accessToken),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(new Set(answers.map((a) => a.out?.instance))).toEqual(new Set(["a", "b"]));
    expect(cluster.proxy.requests.slice(from).every((r) => r.refusedBy.length === 0)).toBe(true);

    // The refresh token issued by a while b was down is redeemed on b, and the next one on a.
    await cluster.steerTo("b");
    expect(await refresh(user)).toBe("b");
    expect(await refresh(user)).toBe("a");

    // The client registered before the kill is known to b: a second login with it (no new registration).
    const registrations = user.client.requests.filter((r) => r.url.pathname === "/oauth/register").length;
    user.client.oauth.invalidateCredentials("tokens");
    const { auth } = await import("@modelcontextprotocol/sdk/client/auth.js");
    expect(await auth(user.client.oauth, { serverUrl: cluster.mcpUrl, fetchFn: user.client.fetch })).toBe("REDIRECT");
    expect(
      await auth(user.client.oauth, {
        serverUrl: cluster.mcpUrl,
        authorizationCode: user.client.oauth.code(),
        fetchFn: user.client.fetch,
      }),
    ).toBe("AUTHORIZED");
    expect(user.client.requests.filter((r) => r.url.pathname === "/oauth/register")).toHaveLength(registrations);
    expect((await whoamiAt(cluster.mcpUrl, user.client.oauth.currentTokens?.access_token as string)).status).toBe(200);
  });

  test("the refresh family's history survived too: the first refresh token, reused on b, is refused and ends the family", async () => {
    const reused = await refreshAt(cluster.instance("b").origin, user.clientId, firstRefreshToken);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe("invalid_grant");
    // Reuse revokes the family everywhere: its newest refresh token is dead on a too.
    const newest = await refreshAt(cluster.instance("a").origin, user.clientId, user.refreshToken);
    expect(newest.body.error).toBe("invalid_grant");
  });

  test("the legacy session opened before the kill is served by both instances, b included", async () => {
    const ready = await post(cluster.mcpUrl, { jsonrpc: "2.0", method: "notifications/initialized" }, sessionHeaders);
    expect(ready.status).toBe(202);
    const call = (id: number, text: string) =>
      post(
        cluster.mcpUrl,
        { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text } } },
        sessionHeaders,
      );
    const backends: (string | undefined)[] = [];
    for (let i = 1; i <= 2; i++) {
      const res = await jsonOf(await call(i, `still here ${i}`), 200);
      expect(res.result).toEqual({ content: [{ type: "text", text: `still here ${i}` }] });
      backends.push(cluster.proxy.requests.at(-1)?.backend);
    }
    expect(new Set(backends)).toEqual(new Set(["a", "b"]));
  });
});
