/**
 * End to end with the official SDK 2.x client (`@modelcontextprotocol/client`)
 * and its own OAuth support, in the modern (2026-07-28, stateless) era,
 * against examples/oauth-demo started as users start it: 401 → discovery →
 * registration → login → token (the callback's `iss` checked by the SDK,
 * RFC 9207) → protected tools; refresh after the access token expires; and
 * step-up, which SDK 2.x drives itself on 403 insufficient_scope.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  auth,
  type CallToolResult,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { grantTypes, oauthRequests, Sdk2OAuthClient, structured } from "../helpers/oauth-client.js";
import { useOAuthDemo } from "../helpers/oauth-demo.js";
import { type AuthorizationRedirect, type HeadlessOAuthClient, headlessOAuthClient } from "../helpers/oauth-login.js";
import { connectModern, MODERN_VERSION, type ModernConnection } from "../helpers/sdk2-client.js";

const ACCESS_TTL = 3;
const REDIRECT = "http://127.0.0.1:47614/callback";

const demo = useOAuthDemo({ OAUTH_ACCESS_TOKEN_TTL: String(ACCESS_TTL), OAUTH_CLOCK_TOLERANCE: "0" });

type Sdk2Setup = HeadlessOAuthClient<Sdk2OAuthClient, StreamableHTTPClientTransport>;

/** An SDK 2.x client whose user logs in as `username` (consenting, in one browser's cookie jar). */
const sdk2Setup = (clientName: string, username: string): Sdk2Setup =>
  headlessOAuthClient(Sdk2OAuthClient, StreamableHTTPClientTransport, {
    mcpUrl: demo.mcpUrl,
    redirectUrl: REDIRECT,
    clientName,
    username,
  });

/** The redirect's query, as the SDK wants it for `finishAuth` (it checks `iss` itself). */
const callbackParams = (login: AuthorizationRedirect | undefined): URLSearchParams => {
  if (!login?.code) throw new Error(`the login ended without a code (error: ${login?.error ?? "none"})`);
  return login.url.searchParams;
};

describe("SDK 2.x client (2026-07-28): login, protected tools, refresh", () => {
  let s: Sdk2Setup;
  let conn: ModernConnection<StreamableHTTPClientTransport>;
  beforeAll(async () => {
    s = sdk2Setup("chuk e2e (SDK 2.x)", "lin");
    conn = await connectModern(s.transport, "pinned", { clientName: "chuk e2e (SDK 2.x)" });
  });
  afterAll(async () => {
    await conn?.close();
  });

  test("the client speaks the modern era, and the public tool needs no login", async () => {
    const result = (await conn.client.callTool({ name: "echo", arguments: { text: "modern" } })) as CallToolResult;
    expect(result.content).toEqual([{ type: "text", text: "modern" }]);
    const mcpPosts = s.requests.filter((r) => r.url.pathname === "/mcp");
    expect(mcpPosts.length).toBeGreaterThan(0);
    for (const r of mcpPosts) expect(r.headers.get("mcp-protocol-version")).toBe(MODERN_VERSION);
    expect(mcpPosts.every((r) => !r.headers.has("mcp-session-id"))).toBe(true);
    expect(s.oauth.authorizationUrls).toHaveLength(0);
  });

  test("whoami: 401 → discovery → registration → login → token (iss checked) → the dev user", async () => {
    await expect(conn.client.callTool({ name: "whoami", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);
    const challenge = s.requests.find((r) => r.status === 401);
    expect(challenge?.wwwAuthenticate).toContain(
      `resource_metadata="${demo.origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(oauthRequests(s.requests)).toEqual([
      "GET /.well-known/oauth-protected-resource/mcp",
      "GET /.well-known/oauth-authorization-server",
      "POST /oauth/register",
    ]);
    const clientId = s.oauth.clientInfo?.client_id as string;
    const authorizeUrl = s.oauth.authorizationUrls[0] as URL;
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${demo.origin}/oauth/authorize`);
    expect(authorizeUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizeUrl.searchParams.get("resource")).toBe(demo.mcpUrl);
    expect(authorizeUrl.searchParams.get("client_id")).toBe(clientId);

    const login = s.logins[0];
    expect([login?.consented, login?.loggedIn, login?.iss]).toEqual([true, true, demo.origin]);
    await s.transport.finishAuth(callbackParams(login));
    expect(grantTypes(s.requests)).toEqual(["authorization_code"]);

    const who = structured((await conn.client.callTool({ name: "whoami", arguments: {} })) as CallToolResult);
    const requested = (authorizeUrl.searchParams.get("scope") ?? "").split(" ").filter(Boolean);
    expect(who).toEqual({ userId: "dev:lin", clientId, scopes: expect.arrayContaining(requested) });
    expect(requested).toContain("posts.write");
    const authorized = s.requests.filter((r) => r.url.pathname === "/mcp" && r.headers.has("authorization")).at(-1);
    expect(authorized?.headers.get("mcp-protocol-version")).toBe(MODERN_VERSION);
  });

  test("publish_post returns the post the development provider's API created, with its author", async () => {
    const post = structured(
      (await conn.client.callTool({
        name: "publish_post",
        arguments: { content: "Hello from SDK 2.x" },
      })) as CallToolResult,
    );
    expect(post).toMatchObject({ content: "Hello from SDK 2.x", author: { id: "dev:lin", name: "lin" } });
    expect(post.id).toEqual(expect.any(String));
  });

  test("after the access token expires, the SDK refreshes and the next call works without a new login", async () => {
    const before = s.oauth.currentTokens;
    const logins = s.oauth.authorizationUrls.length;
    await sleep((ACCESS_TTL + 1) * 1000);
    const who = structured((await conn.client.callTool({ name: "whoami", arguments: {} })) as CallToolResult);
    expect(who.userId).toBe("dev:lin");
    expect(grantTypes(s.requests).at(-1)).toBe("refresh_token");
    expect(s.oauth.currentTokens?.access_token).not.toBe(before?.access_token);
    expect(s.oauth.currentTokens?.refresh_token).not.toBe(before?.refresh_token);
    expect(s.oauth.authorizationUrls).toHaveLength(logins);
  });

  test("no token, code or PKCE verifier appears in the server's logs", () => {
    const secrets = s.oauth.secrets();
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    const logs = demo.stderr();
    for (const secret of secrets) expect(logs.includes(secret), "a secret in the logs").toBe(false);
  });
});

describe("SDK 2.x client: step-up on 403 insufficient_scope", () => {
  test("granted only profile.read, publish_post's 403 makes the SDK re-authorize for profile.read + posts.write", async () => {
    const s = sdk2Setup("chuk e2e step-up (SDK 2.x)", "kai");
    const conn = await connectModern(s.transport, "pinned", { clientName: "chuk e2e step-up (SDK 2.x)" });
    try {
      expect(await auth(s.oauth, { serverUrl: demo.mcpUrl, scope: "profile.read", fetchFn: s.fetch })).toBe("REDIRECT");
      await s.transport.finishAuth(callbackParams(s.logins[0]));
      const who = structured((await conn.client.callTool({ name: "whoami", arguments: {} })) as CallToolResult);
      expect(who).toMatchObject({ userId: "dev:kai", scopes: ["profile.read"] });

      // The SDK answers the 403 by itself: a fresh authorization for the union of the scopes.
      await expect(
        conn.client.callTool({ name: "publish_post", arguments: { content: "stepped up" } }),
      ).rejects.toBeInstanceOf(UnauthorizedError);
      const forbidden = s.requests.find((r) => r.status === 403);
      expect(forbidden?.wwwAuthenticate).toContain('error="insufficient_scope"');
      expect(forbidden?.wwwAuthenticate).toContain('scope="posts.write"');
      expect(s.oauth.authorizationUrls).toHaveLength(2);
      expect(s.oauth.authorizationUrls[1]?.searchParams.get("scope")?.split(" ").sort()).toEqual([
        "posts.write",
        "profile.read",
      ]);
      // Never a refresh: it could not have widened the grant.
      expect(grantTypes(s.requests)).toEqual(["authorization_code"]);
      await s.transport.finishAuth(callbackParams(s.logins[1]));

      const post = structured(
        (await conn.client.callTool({ name: "publish_post", arguments: { content: "stepped up" } })) as CallToolResult,
      );
      expect(post).toMatchObject({ content: "stepped up", author: { id: "dev:kai", name: "kai" } });
      const after = structured((await conn.client.callTool({ name: "whoami", arguments: {} })) as CallToolResult);
      expect([...(after.scopes as string[])].sort()).toEqual(["posts.write", "profile.read"]);
    } finally {
      await conn.close();
    }
  });
});
