/**
 * The OAuth flow across two instances (examples/cluster, separate processes)
 * behind a round-robin proxy, on one Redis: every step that goes through the
 * proxy (discovery, registration, authorization, consent, token) lands on
 * whichever instance is next, so each step finds in Redis what a step on the
 * other instance stored. The development login, its token endpoint (called
 * by the instance serving our callback, through the proxy too) and our
 * callback are no exception: the development provider keeps its codes and
 * tokens in Redis. The tokens then work on both instances, and refreshes on
 * either rotate one family.
 */
import {
  type CallToolResult,
  StreamableHTTPClientTransport,
  auth as sdk2Auth,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { auth as sdk1Auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { describe, expect, test } from "vitest";
import { useCluster } from "../helpers/cluster.js";
import { jsonOf, modernBody, modernPost } from "../helpers/mcp-http.js";
import { grantTypes, Sdk1OAuthClient, Sdk2OAuthClient, structured } from "../helpers/oauth-client.js";
import type { ProxiedRequest } from "../helpers/round-robin-proxy.js";
import { connectModern } from "../helpers/sdk2-client.js";
import { clusterOAuthClient, signIn } from "./cluster-login.js";

/** A loopback redirect URI nobody listens on: the login stops at the redirect and keeps what it carries. */
const REDIRECT = "http://127.0.0.1:47631/callback";

const cluster = useCluster();

/** Every token, code and PKCE verifier the clients of this file held: none may reach a log. */
const secrets: string[] = [];

/** whoami over the modern era (stateless: any instance) with `token`; its structured answer. */
async function whoami(token: string): Promise<Record<string, unknown>> {
  const res = await modernPost(cluster.mcpUrl, modernBody("tools/call", { name: "whoami", arguments: {} }), {
    authorization: `Bearer ${token}`,
  });
  const body = await jsonOf(res, 200);
  return structured(body.result as object);
}

/** The steps of the development login (and our callback), which used to be served by one instance only. */
const LOGIN_STEPS = ["POST /dev-idp/authorize", "POST /dev-idp/token", "GET /dev-idp/userinfo", "GET /oauth/callback"];

/** Which instances answered `step` ("METHOD path") successfully, from request number `from` on (to `to`). */
const servedBy = (step: string, from = 0, to?: number): (string | undefined)[] =>
  cluster.proxy.requests
    .slice(from, to)
    .filter((r) => `${r.method} ${r.url.split("?")[0]}` === step && r.status < 400)
    .map((r) => r.backend);

/** The proxied requests from `from` on, as "METHOD path → instance". */
const stepsSince = (from: number): string[] =>
  cluster.proxy.requests
    .slice(from)
    .map((r: ProxiedRequest) => `${r.method} ${r.url.split("?")[0]} → ${r.backend ?? "none"} (${r.status})`);

describe("SDK 1.x: a login whose steps alternate between the instances", () => {
  const c = clusterOAuthClient(Sdk1OAuthClient, {
    redirectUrl: REDIRECT,
    clientName: "cluster (SDK 1.x)",
    username: "ada",
  });

  test("discovery, registration, authorization, consent and token land on both instances, and the login completes", async () => {
    const from = cluster.proxy.requests.length;
    expect(await sdk1Auth(c.oauth, { serverUrl: cluster.mcpUrl, fetchFn: c.fetch })).toBe("REDIRECT");
    const login = c.logins[0];
    expect(login?.error ?? null).toBeNull();
    expect([login?.consented, login?.loggedIn, login?.iss]).toEqual([true, true, cluster.issuer]);
    // The authorization URL is the public one: the proxy's.
    expect(c.oauth.authorizationUrls[0]?.origin).toBe(cluster.issuer);

    // The development login and our callback were served at the public URL, like every other page.
    const pages = login?.pages ?? [];
    expect(pages.map((p) => p.url.pathname)).toEqual(expect.arrayContaining(["/dev-idp/authorize", "/oauth/callback"]));
    expect(pages.every((p) => p.url.origin === cluster.issuer)).toBe(true);
    for (const step of LOGIN_STEPS)
      expect(servedBy(step, from), `${step}\n${stepsSince(from).join("\n")}`).toHaveLength(1);

    expect(
      await sdk1Auth(c.oauth, { serverUrl: cluster.mcpUrl, authorizationCode: c.oauth.code(), fetchFn: c.fetch }),
    ).toBe("AUTHORIZED");
    expect(grantTypes(c.requests)).toEqual(["authorization_code"]);

    const steps = cluster.proxy.requests.slice(from);
    const served = (path: string) =>
      steps.filter((r) => r.url.split("?")[0] === path && r.status < 400).map((r) => r.backend);
    const description = stepsSince(from).join("\n");
    expect(served("/oauth/register"), description).toHaveLength(1);
    expect(served("/oauth/authorize").length, description).toBeGreaterThanOrEqual(1);
    expect(served("/oauth/token"), description).toHaveLength(1);
    // Nothing was refused or lost on the way, and both instances took part.
    expect(
      steps.every((r) => r.status < 500),
      description,
    ).toBe(true);
    expect(new Set(steps.map((r) => r.backend)), description).toEqual(new Set(["a", "b"]));
  });

  test("the access token works on both instances", async () => {
    const token = c.oauth.currentTokens?.access_token as string;
    const answers = [await whoami(token), await whoami(token)];
    expect(answers.map((a) => a.userId)).toEqual(["dev:ada", "dev:ada"]);
    expect(new Set(answers.map((a) => a.instance))).toEqual(new Set(["a", "b"]));
    expect(answers[0]?.clientId).toBe(c.oauth.clientInfo?.client_id);
  });

  test("refreshes served by either instance rotate one family; each new token works everywhere", async () => {
    const refreshedBy: (string | undefined)[] = [];
    const seen = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const before = c.oauth.currentTokens;
      const from = cluster.proxy.requests.length;
      // With tokens and a refresh token in hand, the SDK's auth() refreshes.
      expect(await sdk1Auth(c.oauth, { serverUrl: cluster.mcpUrl, fetchFn: c.fetch })).toBe("AUTHORIZED");
      const token = cluster.proxy.requests.slice(from).find((r) => r.url === "/oauth/token");
      refreshedBy.push(token?.backend);
      expect(token?.status, stepsSince(from).join("\n")).toBe(200);
      const after = c.oauth.currentTokens;
      expect(after?.refresh_token).not.toBe(before?.refresh_token);
      expect(seen.has(after?.refresh_token as string)).toBe(false);
      seen.add(after?.refresh_token as string);
      expect((await whoami(after?.access_token as string)).userId).toBe("dev:ada");
      // The SDK makes the same requests each round: when that is an even number, every round
      // would land on one instance. One extra request through the proxy moves the next round over.
      if (refreshedBy.length >= 2 && refreshedBy.at(-1) === refreshedBy.at(-2)) {
        await fetch(`${cluster.issuer}/health`);
      }
    }
    expect(grantTypes(c.requests)).toEqual(["authorization_code", ...Array(4).fill("refresh_token")]);
    expect(new Set(refreshedBy)).toEqual(new Set(["a", "b"]));
    expect(c.oauth.authorizationUrls).toHaveLength(1);
    secrets.push(...c.oauth.secrets());
  });
});

describe("SDK 2.x (2026-07-28): 401 → login → tools, through the proxy", () => {
  test("the client logs in across both instances and its calls are answered by both", async () => {
    const c = clusterOAuthClient(Sdk2OAuthClient, {
      redirectUrl: REDIRECT,
      clientName: "cluster (SDK 2.x)",
      username: "lin",
    });
    const transport = new StreamableHTTPClientTransport(new URL(cluster.mcpUrl), {
      authProvider: c.oauth,
      fetch: c.fetch,
    });
    const conn = await connectModern(transport, "pinned", { clientName: "cluster (SDK 2.x)" });
    try {
      const from = cluster.proxy.requests.length;
      await expect(conn.client.callTool({ name: "whoami", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);
      const login = c.logins[0];
      expect([login?.consented, login?.loggedIn, login?.iss]).toEqual([true, true, cluster.issuer]);
      await transport.finishAuth(login?.url.searchParams as URLSearchParams);

      const answers: Record<string, unknown>[] = [];
      for (let i = 0; i < 2; i++) {
        answers.push(structured((await conn.client.callTool({ name: "whoami", arguments: {} })) as CallToolResult));
      }
      expect(answers.map((a) => a.userId)).toEqual(["dev:lin", "dev:lin"]);
      expect(new Set(answers.map((a) => a.instance))).toEqual(new Set(["a", "b"]));
      expect(new Set(cluster.proxy.requests.slice(from).map((r) => r.backend))).toEqual(new Set(["a", "b"]));

      // A refresh through the SDK 2.x machinery, on whichever instance is next, and the client goes on.
      const before = c.oauth.currentTokens;
      expect(await sdk2Auth(c.oauth, { serverUrl: cluster.mcpUrl, fetchFn: c.fetch })).toBe("AUTHORIZED");
      expect(c.oauth.currentTokens?.refresh_token).not.toBe(before?.refresh_token);
      const again = structured((await conn.client.callTool({ name: "whoami", arguments: {} })) as CallToolResult);
      expect(again.userId).toBe("dev:lin");
      expect(grantTypes(c.requests)).toEqual(["authorization_code", "refresh_token"]);
      secrets.push(...c.oauth.secrets());
    } finally {
      await conn.close();
    }
  });
});

describe("the development login on either instance", () => {
  test("two logins started on different instances: each login step is served by a once and by b once", async () => {
    const firstFrom = cluster.proxy.requests.length;
    await cluster.steerTo("a");
    const first = await signIn(cluster.mcpUrl, { redirectUrl: REDIRECT, clientName: "cluster (a)", username: "ada" });
    const secondFrom = cluster.proxy.requests.length;
    await cluster.steerTo("b");
    const second = await signIn(cluster.mcpUrl, { redirectUrl: REDIRECT, clientName: "cluster (b)", username: "ada" });
    secrets.push(...first.client.oauth.secrets(), ...second.client.oauth.secrets());
    const description = stepsSince(firstFrom).join("\n");
    for (const step of LOGIN_STEPS) {
      // The two logins make the same requests in the same order: started one instance apart, every step swaps.
      const backends = [...servedBy(step, firstFrom, secondFrom), ...servedBy(step, secondFrom)];
      expect(backends.sort(), `${step}\n${description}`).toEqual(["a", "b"]);
    }
    for (const user of [first, second]) expect((await whoami(user.accessToken)).userId).toBe("dev:ada");
  });
});

test("across this file, the development login, its token endpoint and our callback were served by both instances", () => {
  for (const step of LOGIN_STEPS) expect(new Set(servedBy(step)), step).toEqual(new Set(["a", "b"]));
  // Served through the proxy, never at an instance's own address: the instances' start-up lines
  // carry no development-provider warning that the login's serverUrl and the issuer differ.
  expect(cluster.stderr()).not.toContain("serverUrl and the OAuth issuer differ");
});

test("no token, code or PKCE verifier appears in either instance's logs", () => {
  const logs = cluster.stderr();
  expect(logs).toContain("cluster instance a ready");
  expect(logs).toContain("cluster instance b ready");
  expect(secrets.length).toBeGreaterThanOrEqual(10);
  for (const secret of secrets) expect(logs.includes(secret), "a secret in the logs").toBe(false);
});
