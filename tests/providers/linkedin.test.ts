/**
 * examples/linkedin end to end, started as users start it (the built one, a
 * child process configured by environment variables) against the LinkedIn
 * stand-in: an official SDK 1.x client signs in (401 → discovery →
 * registration → our consent page → LinkedIn → our callback → token) and runs
 * both ready tools. Most LinkedIn apps get no refresh token: once LinkedIn's
 * access token expires, the next call is answered 401 and the member signs in
 * again. Apps with programmatic refresh tokens get a refresh instead, once.
 */
import { join } from "node:path";
import { auth, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LINKEDIN_API_VERSION } from "../../packages/providers-linkedin/dist/index.js";
import { LinkedInStandIn } from "../../packages/providers-linkedin/test/stand-in.js";
import { ROOT } from "../helpers/everything.js";
import { type ExampleProcess, startExample } from "../helpers/example-process.js";
import { freePort } from "../helpers/free-port.js";
import { grantTypes, oauthRequests, Sdk1OAuthClient, structured } from "../helpers/oauth-client.js";
import { headlessOAuthClient } from "../helpers/oauth-login.js";

const MAIN = join(ROOT, "examples/linkedin/dist/main.js");
const CLIENT_ID = "86linkedine2e";
const CLIENT_SECRET = "li-e2e-secret-value";
/** A loopback redirect URI nobody listens on: the login stops at the redirect and keeps what it carries. */
const REDIRECT = "http://127.0.0.1:47614/callback";
const SIXTY_DAYS = 60 * 24 * 3600;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let standIn: LinkedInStandIn;
let example: ExampleProcess;

beforeAll(async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  standIn = await LinkedInStandIn.start({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${origin}/oauth/callback`],
  });
  // The built example (nothing of this machine's OAuth or LinkedIn settings).
  example = await startExample({
    main: MAIN,
    name: "examples/linkedin",
    port,
    scrub: ["LINKEDIN_"],
    env: {
      LINKEDIN_CLIENT_ID: CLIENT_ID,
      LINKEDIN_CLIENT_SECRET: CLIENT_SECRET,
      LINKEDIN_UPSTREAM_URL: standIn.url,
      OAUTH_SERVER_URL: origin,
    },
  });
});
afterAll(async () => {
  await example?.close();
  await standIn?.close();
});

/** An SDK 1.x client of the example whose user approves on our consent page, then at LinkedIn. */
async function sdk1Client(clientName: string) {
  const c = headlessOAuthClient(Sdk1OAuthClient, StreamableHTTPClientTransport, {
    mcpUrl: example.mcpUrl,
    redirectUrl: REDIRECT,
    clientName,
    username: "unused-at-linkedin",
  });
  const client = new Client({ name: clientName, version: "1.0.0" });
  await client.connect(c.transport);
  return { ...c, client };
}

type Sdk1Setup = Awaited<ReturnType<typeof sdk1Client>>;

/** The host signs its user in for both tools' scopes up front (the SDK's own `auth()`), then finishes the login. */
async function signInForBothTools(c: Sdk1Setup): Promise<void> {
  expect(await auth(c.oauth, { serverUrl: example.mcpUrl, scope: "profile.read posts.write", fetchFn: c.fetch })).toBe(
    "REDIRECT",
  );
  await c.transport.finishAuth(c.oauth.code());
}

describe("SDK 1.x client: sign in with LinkedIn, then the ready tools", () => {
  let c: Sdk1Setup;
  beforeAll(async () => {
    c = await sdk1Client("chuk e2e LinkedIn (SDK 1.x)");
  });
  afterAll(() => c?.client.close());

  test("401 → metadata → registration → consent → LinkedIn → callback → token", async () => {
    const tokenRequests = standIn.tokenRequests.length;
    await expect(c.client.callTool({ name: "linkedin_profile", arguments: {} })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    expect(oauthRequests(c.requests)).toEqual([
      "GET /.well-known/oauth-protected-resource/mcp",
      "GET /.well-known/oauth-authorization-server",
      "POST /oauth/register",
    ]);
    // The SDK asks for the scope the challenge named: what linkedin_profile needs.
    expect(c.oauth.authorizationUrls[0]?.searchParams.get("scope")).toBe("profile.read");
    const login = c.logins[0];
    expect(login?.consented).toBe(true);
    expect(login?.loggedIn).toBe(false); // LinkedIn's own sign-in happened at the stand-in
    expect(login?.error).toBeNull();
    // Our server sent the member to LinkedIn as LinkedIn wants: its scopes, no PKCE.
    const atLinkedIn = standIn.authorizationRequests.at(-1);
    expect(atLinkedIn?.get("client_id")).toBe(CLIENT_ID);
    expect(atLinkedIn?.get("redirect_uri")).toBe(`${example.origin}/oauth/callback`);
    expect(atLinkedIn?.get("scope")).toBe("openid profile email w_member_social");
    expect(atLinkedIn?.has("code_challenge")).toBe(false);

    await c.transport.finishAuth(c.oauth.code());
    expect(grantTypes(c.requests)).toEqual(["authorization_code"]);
    expect(standIn.tokenRequests.slice(tokenRequests)).toEqual([
      { grantType: "authorization_code", clientAuth: "client_secret_post", codeVerifier: false, status: 200 },
    ]);
  });

  test("linkedin_profile: the member from LinkedIn's userinfo", async () => {
    const profile = structured(await c.client.callTool({ name: "linkedin_profile", arguments: {} }));
    expect(profile).toMatchObject({ sub: standIn.member.sub, name: "Ada Lovelace", email: "ada@example.com" });
  });

  test("linkedin_publish_post: posted through LinkedIn's Posts API as the member (after a step-up to posts.write)", async () => {
    // Signed in for profile.read only: publishing is refused before it reaches LinkedIn.
    const posts = standIn.posts.length;
    await expect(
      c.client.callTool({ name: "linkedin_publish_post", arguments: { content: "not yet" } }),
    ).rejects.toThrow(/403/);
    expect(standIn.posts.length).toBe(posts);
    // The host steps up: a new authorization for both scopes (a refresh cannot widen a grant).
    c.oauth.invalidateCredentials("tokens");
    await signInForBothTools(c);
    expect(c.oauth.authorizationUrls.at(-1)?.searchParams.get("scope")).toBe("profile.read posts.write");

    const post = structured(
      await c.client.callTool({
        name: "linkedin_publish_post",
        arguments: { content: "Hello from chuk-mcp (SDK 1.x)", visibility: "CONNECTIONS" },
      }),
    );
    const accepted = standIn.posts.at(-1);
    expect(post).toEqual({
      id: accepted?.id,
      url: `https://www.linkedin.com/feed/update/${encodeURIComponent(accepted?.id as string)}/`,
      visibility: "CONNECTIONS",
    });
    expect(accepted?.version).toBe(LINKEDIN_API_VERSION);
    expect(accepted?.body).toMatchObject({
      author: `urn:li:person:${standIn.member.sub}`,
      commentary: "Hello from chuk-mcp \\(SDK 1.x\\)",
      visibility: "CONNECTIONS",
      lifecycleState: "PUBLISHED",
    });
  });
});

describe("no refresh token (most LinkedIn apps): an expired LinkedIn token means signing in again", () => {
  test("the call after LinkedIn's token expired is 401; the SDK's refresh is refused; a fresh login works", async () => {
    const c = await sdk1Client("chuk e2e LinkedIn expiry (SDK 1.x)");
    const lifetime = 4;
    try {
      standIn.accessTokenLifetime = lifetime;
      await signInForBothTools(c);
      const signedInAt = Date.now();
      standIn.accessTokenLifetime = SIXTY_DAYS;
      expect(structured(await c.client.callTool({ name: "linkedin_profile", arguments: {} })).sub).toBe(
        standIn.member.sub,
      );
      const refreshesAtLinkedIn = standIn.counters.refresh_token;

      await sleep(lifetime * 1000 + 1000 - (Date.now() - signedInAt));
      await expect(
        c.client.callTool({ name: "linkedin_publish_post", arguments: { content: "after expiry" } }),
      ).rejects.toBeInstanceOf(UnauthorizedError);
      // Our server answered 401 invalid_token; the client's refresh token no longer works (the grant ended
      // with LinkedIn's), so the SDK sent the member to sign in again.
      const refused = c.requests.filter((r) => r.url.pathname === "/mcp" && r.status === 401).at(-1);
      expect(refused?.wwwAuthenticate).toContain('error="invalid_token"');
      expect(grantTypes(c.requests)).toEqual(["authorization_code", "refresh_token"]);
      expect(c.requests.filter((r) => r.url.pathname === "/oauth/token").map((r) => r.status)).toEqual([200, 400]);
      expect(c.oauth.authorizationUrls).toHaveLength(2);
      expect(standIn.counters.refresh_token).toBe(refreshesAtLinkedIn); // nothing to refresh with at LinkedIn
      expect(example.stderr()).toContain("LinkedIn issued no refresh token");

      await c.transport.finishAuth(c.oauth.code());
      const post = structured(
        await c.client.callTool({ name: "linkedin_publish_post", arguments: { content: "after a fresh login" } }),
      );
      expect(post.id).toBe(standIn.posts.at(-1)?.id);
      expect(standIn.posts.at(-1)?.body.commentary).toBe("after a fresh login");
    } finally {
      standIn.accessTokenLifetime = SIXTY_DAYS;
      await c.client.close();
    }
  });
});

describe("programmatic refresh tokens: the expiring LinkedIn token is refreshed once", () => {
  test("a call within five minutes of expiry refreshes at LinkedIn once; the next uses the new token", async () => {
    const c = await sdk1Client("chuk e2e LinkedIn refresh (SDK 1.x)");
    // Our server refreshes tokens that expire within 300 s: this one is fresh for 6 s, then due.
    const lifetime = 306;
    try {
      standIn.refreshTokens = true;
      standIn.accessTokenLifetime = lifetime;
      await signInForBothTools(c);
      const signedInAt = Date.now();
      const refreshes = standIn.counters.refresh_token;
      structured(await c.client.callTool({ name: "linkedin_profile", arguments: {} }));
      expect(standIn.counters.refresh_token).toBe(refreshes);

      standIn.accessTokenLifetime = SIXTY_DAYS;
      await sleep(7000 - (Date.now() - signedInAt));
      structured(await c.client.callTool({ name: "linkedin_profile", arguments: {} }));
      structured(await c.client.callTool({ name: "linkedin_publish_post", arguments: { content: "refreshed" } }));
      expect(standIn.counters.refresh_token).toBe(refreshes + 1);
      expect(standIn.tokenRequests.at(-1)).toMatchObject({
        grantType: "refresh_token",
        clientAuth: "client_secret_post",
        status: 200,
      });
      expect(c.oauth.authorizationUrls).toHaveLength(1);
    } finally {
      standIn.refreshTokens = false;
      standIn.accessTokenLifetime = SIXTY_DAYS;
      await c.client.close();
    }
  });
});

test("no LinkedIn token, code or client secret appears in the server's logs", () => {
  expect(standIn.secrets.length).toBeGreaterThanOrEqual(6);
  const logs = example.stderr();
  for (const secret of [...standIn.secrets, CLIENT_SECRET]) {
    expect(logs.includes(secret), "a secret in the logs").toBe(false);
  }
});
