/**
 * End to end with the official SDK 1.x client's own OAuth support
 * (`StreamableHTTPClientTransport` + `authProvider`) against
 * examples/oauth-demo, started as users start it (a child process on its own
 * port): 401 → discovery → dynamic registration → login (consent page and
 * development login, answered over HTTP without a browser) → token →
 * protected tools; refresh once the access token expires; step-up on 403.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { auth, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { modernBody, modernPost } from "../helpers/mcp-http.js";
import { grantTypes, oauthRequests, Sdk1OAuthClient, structured } from "../helpers/oauth-client.js";
import { useOAuthDemo } from "../helpers/oauth-demo.js";
import { type AuthorizationRedirect, type HeadlessOAuthClient, headlessOAuthClient } from "../helpers/oauth-login.js";

/** Seconds our access tokens live in this file (the demo reads OAUTH_ACCESS_TOKEN_TTL). */
const ACCESS_TTL = 3;
/** A loopback redirect URI nobody listens on: the login stops at the redirect and keeps what it carries. */
const REDIRECT = "http://127.0.0.1:47613/callback";

const demo = useOAuthDemo({ OAUTH_ACCESS_TOKEN_TTL: String(ACCESS_TTL), OAUTH_CLOCK_TOLERANCE: "0" });

type Sdk1Setup = HeadlessOAuthClient<Sdk1OAuthClient, StreamableHTTPClientTransport> & { client: Client };

/** An SDK 1.x client whose user logs in as `username` (consenting, in one browser's cookie jar). */
function sdk1Client(clientName: string, username: string): Sdk1Setup {
  const setup = { mcpUrl: demo.mcpUrl, redirectUrl: REDIRECT, clientName, username };
  const oauthClient = headlessOAuthClient(Sdk1OAuthClient, StreamableHTTPClientTransport, setup);
  return { ...oauthClient, client: new Client({ name: clientName, version: "1.0.0" }) };
}

describe("SDK 1.x client: login, protected tools, refresh", () => {
  let c: Sdk1Setup;
  beforeAll(async () => {
    c = sdk1Client("chuk e2e (SDK 1.x)", "ada");
    await c.client.connect(c.transport);
  });
  afterAll(async () => {
    await c?.client.close();
  });

  test("the public tool needs no login", async () => {
    const result = await c.client.callTool({ name: "echo", arguments: { text: "hello" } });
    expect(result.content).toEqual([{ type: "text", text: "hello" }]);
    expect(c.oauth.authorizationUrls).toHaveLength(0);
  });

  test("whoami: 401 → protected resource metadata → AS metadata → registration → login → token → the dev user", async () => {
    await expect(c.client.callTool({ name: "whoami", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);

    // The challenge that started it: no error (no credentials were sent), pointing at our metadata.
    const challenge = c.requests.find((r) => r.status === 401);
    expect(challenge?.url.href).toBe(demo.mcpUrl);
    expect(challenge?.wwwAuthenticate).toMatch(/^Bearer /);
    expect(challenge?.wwwAuthenticate).toContain(
      `resource_metadata="${demo.origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(challenge?.wwwAuthenticate).not.toContain("error=");
    expect(oauthRequests(c.requests)).toEqual([
      "GET /.well-known/oauth-protected-resource/mcp",
      "GET /.well-known/oauth-authorization-server",
      "POST /oauth/register",
    ]);
    const clientId = c.oauth.clientInfo?.client_id as string;
    expect(clientId).toEqual(expect.any(String));

    // The SDK sent the user to our authorize endpoint with PKCE S256, our resource and its state.
    expect(c.oauth.authorizationUrls).toHaveLength(1);
    const authorizeUrl = c.oauth.authorizationUrls[0] as URL;
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${demo.origin}/oauth/authorize`);
    const sent = authorizeUrl.searchParams;
    expect(sent.get("response_type")).toBe("code");
    expect(sent.get("client_id")).toBe(clientId);
    expect(sent.get("redirect_uri")).toBe(REDIRECT);
    expect(sent.get("code_challenge_method")).toBe("S256");
    expect(sent.get("resource")).toBe(demo.mcpUrl);
    expect(sent.get("state")).toBe(c.oauth.states[0]);

    // The person saw the consent page, then the development login; the redirect carries code, state and iss.
    const login = c.logins[0] as AuthorizationRedirect;
    expect([login.consented, login.loggedIn]).toEqual([true, true]);
    expect(login.error).toBeNull();
    expect(login.state).toBe(c.oauth.states[0]);
    expect(login.iss).toBe(demo.origin);

    await c.transport.finishAuth(c.oauth.code());
    expect(grantTypes(c.requests)).toEqual(["authorization_code"]);
    const tokens = c.oauth.currentTokens;
    expect(tokens?.token_type.toLowerCase()).toBe("bearer");
    expect(tokens?.expires_in).toBe(ACCESS_TTL);
    expect(tokens?.refresh_token).toEqual(expect.any(String));

    const who = structured(await c.client.callTool({ name: "whoami", arguments: {} }));
    const requested = (sent.get("scope") ?? "").split(" ").filter(Boolean);
    expect(who).toEqual({ userId: "dev:ada", clientId, scopes: expect.arrayContaining(requested) });
    expect((who.scopes as string[]).length).toBe(requested.length);
    expect(requested).toContain("posts.write");
  });

  test("publish_post goes through the development provider's API as the user", async () => {
    const post = structured(
      await c.client.callTool({ name: "publish_post", arguments: { content: "Hello from SDK 1.x" } }),
    );
    expect(post).toMatchObject({ content: "Hello from SDK 1.x", author: { id: "dev:ada", name: "ada" } });
    expect(post.id).toEqual(expect.any(String));
    expect(Number.isNaN(Date.parse(post.createdAt as string))).toBe(false);
  });

  test("once the access token expires, the SDK refreshes it and the call goes through, without a new login", async () => {
    const before = c.oauth.currentTokens;
    const logins = c.oauth.authorizationUrls.length;
    await sleep((ACCESS_TTL + 1) * 1000);

    // The old token is refused now (checked on the wire, not through the SDK).
    const stale = await modernPost(demo.mcpUrl, modernBody("tools/call", { name: "whoami", arguments: {} }), {
      authorization: `Bearer ${before?.access_token}`,
    });
    expect(stale.status).toBe(401);
    expect(stale.headers.get("www-authenticate")).toContain('error="invalid_token"');

    const who = structured(await c.client.callTool({ name: "whoami", arguments: {} }));
    expect(who.userId).toBe("dev:ada");
    expect(grantTypes(c.requests).at(-1)).toBe("refresh_token");
    expect(c.oauth.currentTokens?.access_token).not.toBe(before?.access_token);
    expect(c.oauth.currentTokens?.refresh_token).not.toBe(before?.refresh_token);
    expect(c.oauth.authorizationUrls).toHaveLength(logins);
  });

  test("no token, code or PKCE verifier appears in the server's logs", () => {
    const secrets = c.oauth.secrets();
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    const logs = demo.stderr();
    for (const secret of secrets) expect(logs.includes(secret), "a secret in the logs").toBe(false);
  });
});

describe("SDK 1.x client: step-up on 403 insufficient_scope", () => {
  test("granted only profile.read, publish_post is 403; SDK 1.32 refreshes instead of re-authorizing, so the host drives it", async () => {
    const s = sdk1Client("chuk e2e step-up (SDK 1.x)", "grace");
    await s.client.connect(s.transport);
    try {
      // The first authorization asks for profile.read only (the SDK's own auth(), driven by the host).
      expect(await auth(s.oauth, { serverUrl: demo.mcpUrl, scope: "profile.read", fetchFn: s.fetch })).toBe("REDIRECT");
      expect(s.oauth.authorizationUrls[0]?.searchParams.get("scope")).toBe("profile.read");
      await s.transport.finishAuth(s.oauth.code());
      const who = structured(await s.client.callTool({ name: "whoami", arguments: {} }));
      expect(who).toMatchObject({ userId: "dev:grace", scopes: ["profile.read"] });

      // 403 naming the scope the tool needs. SDK 1.32 answers with auth(scope): that refreshes the
      // token (a refresh cannot widen a grant), retries, gets the same 403 and gives up.
      const refused = await s.client.callTool({ name: "publish_post", arguments: { content: "not yet" } }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(StreamableHTTPError);
      expect((refused as StreamableHTTPError).code).toBe(403);
      const forbidden = s.requests.filter((r) => r.status === 403);
      expect(forbidden.length).toBeGreaterThanOrEqual(1);
      expect(forbidden[0]?.wwwAuthenticate).toContain('error="insufficient_scope"');
      expect(forbidden[0]?.wwwAuthenticate).toContain('scope="posts.write"');
      expect(forbidden[0]?.wwwAuthenticate).toContain(
        `resource_metadata="${demo.origin}/.well-known/oauth-protected-resource/mcp"`,
      );
      expect(grantTypes(s.requests)).toEqual(["authorization_code", "refresh_token"]);
      expect(s.oauth.authorizationUrls).toHaveLength(1);

      // The host steps up: it drops the narrow tokens; the next call's 401 names posts.write and the
      // SDK sends the user back to consent to it.
      s.oauth.invalidateCredentials("tokens");
      await expect(
        s.client.callTool({ name: "publish_post", arguments: { content: "now with posts.write" } }),
      ).rejects.toBeInstanceOf(UnauthorizedError);
      expect(s.oauth.authorizationUrls).toHaveLength(2);
      expect(s.oauth.authorizationUrls[1]?.searchParams.get("scope")?.split(" ")).toContain("posts.write");
      expect(s.logins[1]?.consented).toBe(true);
      await s.transport.finishAuth(s.oauth.code());

      const post = structured(
        await s.client.callTool({ name: "publish_post", arguments: { content: "now with posts.write" } }),
      );
      expect(post).toMatchObject({ content: "now with posts.write", author: { id: "dev:grace", name: "grace" } });
      const after = structured(await s.client.callTool({ name: "whoami", arguments: {} }));
      expect(after.scopes).toContain("posts.write");
    } finally {
      await s.client.close();
    }
  });
});
