/**
 * End to end with GitHub as the upstream: examples/github (built, started as
 * users start it, a child process with the environment a user sets) pointed
 * at the GitHub stand-in through GITHUB_UPSTREAM_URL, and the official SDK 1.x
 * client with its own OAuth support: 401 → discovery → registration → our
 * consent page → GitHub's authorize (the stand-in approves) → our callback →
 * token → every ready tool. The stand-in issues a GitHub App's expiring user
 * tokens; once the first has expired at GitHub, the next tool call refreshes
 * it, once.
 */
import { join } from "node:path";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GitHubStandIn } from "../../packages/providers-github/test/stand-in.js";
import { ROOT } from "../helpers/everything.js";
import { type ExampleProcess, startExample } from "../helpers/example-process.js";
import { freePort } from "../helpers/free-port.js";
import { grantTypes, Sdk1OAuthClient, structured } from "../helpers/oauth-client.js";
import { type AuthorizationRedirect, type HeadlessOAuthClient, headlessOAuthClient } from "../helpers/oauth-login.js";

const GITHUB_MAIN = join(ROOT, "examples/github/dist/main.js");
/** A loopback redirect URI nobody listens on: the login stops at the redirect and keeps what it carries. */
const REDIRECT = "http://127.0.0.1:47631/callback";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let standIn: GitHubStandIn;
let example: ExampleProcess;
let origin = "";

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  // A GitHub App with expiring user tokens, its callback URL registered as the example's.
  standIn = await GitHubStandIn.start({ tokenStyle: "expiring", callbackUrl: `${origin}/oauth/callback` });

  example = await startExample({
    main: GITHUB_MAIN,
    name: "examples/github",
    port,
    scrub: ["GITHUB_"],
    env: {
      OAUTH_SERVER_URL: origin,
      GITHUB_CLIENT_ID: standIn.clientId,
      GITHUB_CLIENT_SECRET: standIn.clientSecret,
      GITHUB_UPSTREAM_URL: standIn.origin,
    },
  });
});

afterAll(async () => {
  await example?.close();
  await standIn?.close();
});

describe("examples/github with an SDK 1.x client", () => {
  let c: HeadlessOAuthClient<Sdk1OAuthClient, StreamableHTTPClientTransport>;
  let client: Client;

  beforeAll(async () => {
    c = headlessOAuthClient(Sdk1OAuthClient, StreamableHTTPClientTransport, {
      mcpUrl: `${origin}/mcp`,
      redirectUrl: REDIRECT,
      clientName: "chuk e2e (GitHub)",
      username: "unused: GitHub signs the user in",
    });
    client = new Client({ name: "chuk e2e (GitHub)", version: "1.0.0" });
    await client.connect(c.transport);
  });
  afterAll(async () => {
    await client?.close();
  });

  test("sign-in: our consent page, then GitHub's authorize with PKCE, then the code exchange GitHub's way", async () => {
    // Access tokens that expire three seconds after they are issued, for the refresh below.
    standIn.accessTokenLifetime = 3;
    await expect(client.callTool({ name: "github_whoami", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);

    const login = c.logins[0] as AuthorizationRedirect;
    // Our consent page, then GitHub (no development login form on the way).
    expect([login.consented, login.loggedIn, login.error]).toEqual([true, false, null]);
    // The way through GitHub: its authorize endpoint (the stand-in), then our callback.
    const visited = login.pages.map((p) => p.url);
    const atGitHub = visited.find((u) => u.origin === standIn.origin);
    expect(atGitHub?.pathname).toBe("/login/oauth/authorize");
    expect(atGitHub?.searchParams.get("client_id")).toBe(standIn.clientId);
    expect(atGitHub?.searchParams.get("redirect_uri")).toBe(`${origin}/oauth/callback`);
    expect(atGitHub?.searchParams.get("scope")).toBe("read:user repo");
    expect(atGitHub?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(visited.some((u) => u.origin === origin && u.pathname === "/oauth/callback")).toBe(true);
    expect(standIn.tokenRequests.at(-1)).toMatchObject({
      grantType: "authorization_code",
      accept: "application/json",
      clientSecretSent: true,
      codeVerifierSent: true,
      error: undefined,
    });
    // Whoami asks for no scope: the client asked for all the server offers.
    const requested = new URL(c.oauth.authorizationUrls[0] as URL).searchParams.get("scope")?.split(" ");
    expect(requested).toEqual(expect.arrayContaining(["github.read", "github.write"]));

    await c.transport.finishAuth(c.oauth.code());
    expect(grantTypes(c.requests)).toEqual(["authorization_code"]);
    expect(standIn.counters.authorization_code).toBe(1);
    expect(standIn.issuedAccessTokens).toHaveLength(1);
  });

  test("the expired GitHub token is refreshed once, by the next tool call; the refreshed token serves every tool", async () => {
    // The first GitHub token has expired at GitHub.
    const first = standIn.issuedAccessTokens[0] as string;
    const asGitHubSees = () =>
      fetch(`${standIn.origin}/user`, {
        headers: { authorization: `Bearer ${first}`, "user-agent": "e2e", accept: "application/vnd.github+json" },
      });
    const deadline = Date.now() + 10_000;
    while ((await asGitHubSees()).status !== 401) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(200);
    }
    expect(standIn.counters.refreshed).toBe(0);
    // Refreshed tokens live GitHub's eight hours.
    standIn.accessTokenLifetime = 28_800;

    const me = structured(await client.callTool({ name: "github_whoami", arguments: {} }));
    expect(me).toEqual({ login: "octocat", id: 583231, name: "The Octocat", html_url: "https://github.com/octocat" });
    expect(standIn.counters.refreshed).toBe(1);
    expect(standIn.tokenRequests.at(-1)).toMatchObject({ grantType: "refresh_token", error: undefined });
    expect(standIn.apiRequests.at(-1)).toMatchObject({ path: "/user", tokenIndex: 1 });

    const page = structured(
      await client.callTool({ name: "github_list_repositories", arguments: { per_page: 3, sort: "full_name" } }),
    );
    expect((page.repositories as { full_name: string }[]).map((r) => r.full_name)).toEqual([
      "octo-org/shared-tools",
      "octocat/archive-notes",
      "octocat/hello-world",
    ]);
    expect(page).toMatchObject({ page: 1, per_page: 3, next_page: 2, last_page: 2 });
    const next = structured(
      await client.callTool({ name: "github_list_repositories", arguments: { per_page: 3, page: 2 } }),
    );
    expect(next.repositories).toEqual([expect.objectContaining({ full_name: "octocat/secret-plans", private: true })]);
    expect(next.next_page).toBeNull();

    const issue = structured(
      await client.callTool({
        name: "github_create_issue",
        arguments: { owner: "octocat", repo: "hello-world", title: "Opened through MCP", body: "From the e2e test" },
      }),
    );
    expect(issue).toEqual({ number: 1, html_url: "https://github.com/octocat/hello-world/issues/1" });
    expect(standIn.issues).toEqual([
      {
        repository: "octocat/hello-world",
        number: 1,
        title: "Opened through MCP",
        body: "From the e2e test",
        user: "octocat",
      },
    ]);

    // One refresh in all, and every API call after it used the refreshed token, with GitHub's headers.
    expect(standIn.counters.refreshed).toBe(1);
    expect(standIn.counters.refresh_token).toBe(1);
    const toolCalls = standIn.apiRequests.filter((r) => r.tokenIndex !== 0);
    expect(toolCalls.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /user",
      "GET /user/repos",
      "GET /user/repos",
      "POST /repos/octocat/hello-world/issues",
    ]);
    for (const call of toolCalls) {
      expect(call).toMatchObject({
        tokenIndex: 1,
        accept: "application/vnd.github+json",
        apiVersion: "2022-11-28",
        userAgent: "chuk-mcp-providers-github",
        authScheme: "Bearer",
      });
    }
    // The MCP client never saw GitHub's tokens, and never logged in again.
    expect(c.oauth.authorizationUrls).toHaveLength(1);
    expect(JSON.stringify(c.oauth.savedTokens)).not.toMatch(/gh[ur]_/);
  });

  test("a GitHub error reaches the client as a tool error, not a failure of the call", async () => {
    const result = await client.callTool({
      name: "github_create_issue",
      arguments: { owner: "octocat", repo: "archive-notes", title: "x" },
    });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("HTTP 410: Issues are disabled for this repo");
  });

  test("no GitHub token, client secret, code or PKCE verifier appears in the server's logs", () => {
    const secrets = [...standIn.issuedAccessTokens, standIn.clientSecret, ...c.oauth.secrets()];
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const secret of secrets) expect(example.stderr().includes(secret), "a secret in the logs").toBe(false);
  });
});
