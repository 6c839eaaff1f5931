/**
 * End to end with a real OpenID provider: oidc-provider (panva's certified
 * implementation) started here, and a chuk-mcp server set up as users set it
 * up — `setupOidcOAuth(mcp)` from OIDC_* variables — with a `whoami` tool
 * that requires authentication and calls the issuer's userinfo endpoint with
 * the upstream access token. The official SDK 1.x client logs in: 401 →
 * discovery → registration → our consent page → the issuer's login → our
 * callback → token; the user id is the OIDC `sub`; an upstream access token
 * about to expire is refreshed once at the issuer's token endpoint.
 */
import type { OAuthMiddleware } from "@chuk-mcp/oauth";
import { OidcOAuthProvider, setupOidcOAuth } from "@chuk-mcp/providers-oidc";
import { ChukMCPServer, type RunningServer, requiresAuth } from "@chuk-mcp/server";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACCOUNTS, startTestIssuer, type TestIssuer } from "../../packages/providers-oidc/test/issuer.js";
import { freePort } from "../helpers/free-port.js";
import { grantTypes, oauthRequests, Sdk1OAuthClient, structured } from "../helpers/oauth-client.js";
import { type HeadlessOAuthClient, headlessOAuthClient } from "../helpers/oauth-login.js";

/** The MCP client's redirect URI: nobody listens there; the login stops at the redirect. */
const REDIRECT = "http://127.0.0.1:47614/callback";
const [ada, grace] = ACCOUNTS as [(typeof ACCOUNTS)[number], (typeof ACCOUNTS)[number]];

/**
 * Seconds the issuer's access tokens live when a code is exchanged; refreshed ones live an hour.
 * Under five minutes, the first protected call refreshes the token before using it.
 */
let codeAccessTokenTtl = 3600;

let issuer: TestIssuer;
let origin: string;
let running: RunningServer;
let middleware: OAuthMiddleware;

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  issuer = await startTestIssuer({
    redirectUris: [`${origin}/oauth/callback`],
    askConsent: false,
    accessTokenTtl: (grant) => (grant === "refresh_token" ? 3600 : codeAccessTokenTtl),
  });
  const mcp = new ChukMCPServer("oidc-e2e", { version: "1.0.0", logLevel: "silent" });
  mcp.tool(
    "whoami",
    { description: "Who the caller is, here and at the identity provider." },
    requiresAuth({}, async (_args, ctx) => {
      const userinfo = await fetch(`${issuer.origin}/me`, {
        headers: { authorization: `Bearer ${ctx.auth.externalAccessToken}` },
      });
      const claims = (await userinfo.json()) as Record<string, unknown>;
      return { userId: ctx.auth.subject, upstream: { status: userinfo.status, sub: claims.sub, name: claims.name } };
    }),
  );
  // The one-liner, with the environment a user would set.
  const hook = setupOidcOAuth(mcp, {
    env: {
      OIDC_ISSUER: issuer.issuer,
      OIDC_CLIENT_ID: issuer.clientId,
      OIDC_CLIENT_SECRET: issuer.clientSecret,
      OAUTH_SERVER_URL: origin,
    },
  });
  running = await mcp.run({
    transport: "http",
    host: "127.0.0.1",
    port,
    handleSignals: false,
    postRegisterHook: async (server) => {
      middleware = (await hook(server)) as OAuthMiddleware;
    },
  });
});

afterAll(async () => {
  await running?.close();
  await middleware?.close();
  await issuer?.close();
});

type Sdk1Setup = HeadlessOAuthClient<Sdk1OAuthClient, StreamableHTTPClientTransport> & { client: Client };

function sdk1Client(clientName: string, username: string): Sdk1Setup {
  const setup = { mcpUrl: `${origin}/mcp`, redirectUrl: REDIRECT, clientName, username };
  const oauthClient = headlessOAuthClient(Sdk1OAuthClient, StreamableHTTPClientTransport, setup);
  return { ...oauthClient, client: new Client({ name: clientName, version: "1.0.0" }) };
}

/** The SDK's first protected call: 401, then the login; `finishAuth` with the code it brought back. */
async function logIn(c: Sdk1Setup): Promise<void> {
  await c.client.connect(c.transport);
  await expect(c.client.callTool({ name: "whoami", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);
  await c.transport.finishAuth(c.oauth.code());
}

describe("SDK 1.x client through our server to the OpenID provider and back", () => {
  test("discovery picked the issuer's endpoints before the server listened", () => {
    expect(middleware.provider).toBeInstanceOf(OidcOAuthProvider);
    expect((middleware.provider as OidcOAuthProvider).metadata.authorization_endpoint).toBe(`${issuer.origin}/auth`);
  });

  test("login: the issuer's login page, our callback, our token; the user id is the OIDC sub", async () => {
    codeAccessTokenTtl = 3600;
    const c = sdk1Client("oidc e2e (ada)", ada.username);
    try {
      const refreshesBefore = issuer.refreshes;
      await logIn(c);
      expect(oauthRequests(c.requests)).toEqual([
        "GET /.well-known/oauth-protected-resource/mcp",
        "GET /.well-known/oauth-authorization-server",
        "POST /oauth/register",
        "POST /oauth/token",
      ]);
      expect(grantTypes(c.requests)).toEqual(["authorization_code"]);
      const login = c.logins[0];
      expect([login?.consented, login?.loggedIn]).toEqual([true, true]);
      expect(login?.iss).toBe(origin);
      // The browser went through the issuer: its authorization endpoint with our client id, PKCE and a nonce.
      const atIssuer = login?.pages.find((p) => p.url.href.startsWith(`${issuer.origin}/auth?`))?.url;
      expect(atIssuer?.searchParams.get("client_id")).toBe(issuer.clientId);
      expect(atIssuer?.searchParams.get("redirect_uri")).toBe(`${origin}/oauth/callback`);
      expect(atIssuer?.searchParams.get("code_challenge_method")).toBe("S256");
      expect(atIssuer?.searchParams.get("nonce")).toEqual(expect.any(String));
      expect(atIssuer?.searchParams.get("scope")).toBe("openid profile email offline_access");

      const who = structured(await c.client.callTool({ name: "whoami", arguments: {} }));
      expect(who).toEqual({ userId: ada.sub, upstream: { status: 200, sub: ada.sub, name: ada.name } });
      // Our access token is ours, not the issuer's.
      expect(c.oauth.currentTokens?.access_token).toEqual(expect.any(String));
      const introspected = await fetch(`${issuer.origin}/me`, {
        headers: { authorization: `Bearer ${c.oauth.currentTokens?.access_token}` },
      });
      expect(introspected.status).toBe(401);
      expect(issuer.refreshes).toBe(refreshesBefore);
    } finally {
      await c.client.close();
    }
  });

  test("an upstream token about to expire is refreshed once at the issuer, then used", async () => {
    codeAccessTokenTtl = 120;
    const c = sdk1Client("oidc e2e (grace)", grace.username);
    try {
      await logIn(c);
      const before = issuer.refreshes;
      const first = structured(await c.client.callTool({ name: "whoami", arguments: {} }));
      expect(first).toEqual({ userId: grace.sub, upstream: { status: 200, sub: grace.sub, name: grace.name } });
      expect(issuer.refreshes).toBe(before + 1);
      const second = structured(await c.client.callTool({ name: "whoami", arguments: {} }));
      expect(second).toEqual(first);
      expect(issuer.refreshes).toBe(before + 1);
      // The MCP client did not refresh anything: the upstream refresh is the server's business.
      expect(grantTypes(c.requests)).toEqual(["authorization_code"]);
    } finally {
      await c.client.close();
      codeAccessTokenTtl = 3600;
    }
  });
});
