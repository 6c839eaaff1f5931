/**
 * The ready GitHub tools, called by the official SDK 1.x client over HTTP,
 * against the GitHub stand-in with real tokens it issued. Who the caller is
 * comes from a small `AuthVerifier` (the server's documented seam) that hands
 * the tools a GitHub token as `externalAccessToken`: the OAuth flow that
 * produces it in production is covered end to end in tests/providers/github.test.ts.
 */
import { request as httpRequest } from "node:http";
import { createServer as createNetServer } from "node:net";
import { type AuthInfo, ChukMCPServer, type RunningServer } from "@chuk-mcp/server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GITHUB_API_VERSION } from "../src/api.js";
import { GitHubOAuthProvider } from "../src/github-provider.js";
import { setupGitHubOAuth } from "../src/setup.js";
import { registerGitHubTools } from "../src/tools.js";
import { GitHubStandIn } from "./stand-in.js";

const CALLBACK = "http://127.0.0.1:8000/oauth/callback";

let standIn: GitHubStandIn;
let server: RunningServer;
/** Our bearer tokens → who they stand for (scopes and the GitHub token the tools get). */
const callers = new Map<string, AuthInfo>();
const clients: Client[] = [];

/** A real GitHub token from the stand-in: an OAuth app's sign-in with `scopes`. */
async function githubToken(scopes: string[]): Promise<string> {
  const provider = new GitHubOAuthProvider({
    clientId: standIn.clientId,
    clientSecret: standIn.clientSecret,
    redirectUri: CALLBACK,
    upstreamUrl: standIn.origin,
    allowInsecureRequests: true,
    scopes,
  });
  const start = await provider.startAuthorization({ state: "s", scopes: [] });
  const answer = await fetch(start.url, { redirect: "manual" });
  const grant = await provider.finishAuthorization({
    url: new URL(answer.headers.get("location") as string),
    state: "s",
    codeVerifier: start.codeVerifier as string,
  });
  return grant.tokens.accessToken;
}

/** An MCP client whose calls carry our token for a caller with `scopes` and `github` as the upstream token. */
async function clientFor(scopes: string[], github: string | undefined, url = server.url as string): Promise<Client> {
  const bearer = `mcp-${callers.size + 1}`;
  callers.set(bearer, {
    token: bearer,
    clientId: "test-client",
    scopes,
    subject: "github:583231",
    ...(github === undefined ? {} : { externalAccessToken: github }),
  });
  const client = new Client({ name: "github-tools-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
    }),
  );
  clients.push(client);
  return client;
}

/** A server with the GitHub tools and the test verifier. */
async function serve(configure: (mcp: ChukMCPServer) => void): Promise<RunningServer> {
  const mcp = new ChukMCPServer("github-tools-test", { logLevel: "silent" });
  configure(mcp);
  mcp.setAuthVerifier({
    async verify(request) {
      const header = request.headers.authorization;
      const bearer = typeof header === "string" ? header.replace(/^Bearer /, "") : undefined;
      return bearer === undefined ? undefined : callers.get(bearer);
    },
  });
  return mcp.run({ transport: "http", host: "127.0.0.1", port: 0, handleSignals: false, logLevel: "silent" });
}

let full: Client;
let readOnly: Client;

beforeAll(async () => {
  standIn = await GitHubStandIn.start({ callbackUrl: CALLBACK });
  server = await serve((mcp) => {
    registerGitHubTools(mcp);
    // The setup resolves the API base (here the stand-in, as GITHUB_UPSTREAM_URL would) for the tools
    // on the same server; its hook (the OAuth middleware) is not installed in this file.
    setupGitHubOAuth(mcp, {
      env: {},
      clientId: standIn.clientId,
      clientSecret: standIn.clientSecret,
      upstreamUrl: standIn.origin,
      userAgent: "github-tools-test/1.0",
    });
  });
  full = await clientFor(["github.read", "github.write"], await githubToken(["read:user", "repo"]));
  readOnly = await clientFor(["github.read"], await githubToken(["read:user", "public_repo"]));
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await server?.close();
  await standIn?.close();
});

type ToolResult = Awaited<ReturnType<Client["callTool"]>>;
const structured = (result: ToolResult) => {
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
};
const errorText = (result: ToolResult): string => {
  expect(result.isError).toBe(true);
  return (result.content as { type: string; text: string }[]).map((c) => c.text).join("\n");
};

test("the three tools are listed, with their inputs and outputs", async () => {
  const { tools } = await full.listTools();
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  expect(Object.keys(byName).sort()).toEqual(["github_create_issue", "github_list_repositories", "github_whoami"]);
  expect(Object.keys(byName.github_create_issue?.inputSchema.properties ?? {})).toEqual([
    "owner",
    "repo",
    "title",
    "body",
  ]);
  expect(byName.github_create_issue?.inputSchema.required).toEqual(["owner", "repo", "title"]);
  expect(Object.keys(byName.github_list_repositories?.inputSchema.properties ?? {})).toEqual([
    "per_page",
    "page",
    "sort",
  ]);
  expect(byName.github_whoami?.annotations?.readOnlyHint).toBe(true);
});

describe("github_whoami", () => {
  test("GET /user as the user, with GitHub's headers, → login, id, name, html_url", async () => {
    const before = standIn.apiRequests.length;
    const me = structured(await full.callTool({ name: "github_whoami", arguments: {} }));
    expect(me).toEqual({ login: "octocat", id: 583231, name: "The Octocat", html_url: "https://github.com/octocat" });
    expect(standIn.apiRequests.slice(before)).toEqual([
      expect.objectContaining({
        method: "GET",
        path: "/user",
        accept: "application/vnd.github+json",
        apiVersion: GITHUB_API_VERSION,
        userAgent: "github-tools-test/1.0",
        authScheme: "Bearer",
      }),
    ]);
  });
});

describe("github_list_repositories", () => {
  test("a page at a time: the next page comes from GitHub's Link header", async () => {
    const first = structured(
      await full.callTool({ name: "github_list_repositories", arguments: { per_page: 2, page: 1 } }),
    );
    expect(standIn.apiRequests.at(-1)?.query).toEqual({ per_page: "2", page: "1" });
    expect((first.repositories as { full_name: string }[]).map((r) => r.full_name)).toEqual([
      "octo-org/shared-tools",
      "octocat/archive-notes",
    ]);
    expect(first).toMatchObject({ page: 1, per_page: 2, next_page: 2, last_page: 2 });
    expect((first.repositories as unknown[])[0]).toEqual({
      full_name: "octo-org/shared-tools",
      name: "shared-tools",
      owner: "octo-org",
      private: false,
      html_url: "https://github.com/octo-org/shared-tools",
      description: "An organization's repository",
      updated_at: expect.any(String),
    });

    const second = structured(
      await full.callTool({ name: "github_list_repositories", arguments: { per_page: 2, page: 2 } }),
    );
    expect((second.repositories as { full_name: string; private: boolean }[]).map((r) => r.full_name)).toEqual([
      "octocat/hello-world",
      "octocat/secret-plans",
    ]);
    expect((second.repositories as { private: boolean }[])[1]?.private).toBe(true);
    expect(second).toMatchObject({ page: 2, next_page: null, last_page: 2 });
  });

  test("everything on one page: no Link header, no next page; sort is passed on", async () => {
    const all = structured(
      await full.callTool({ name: "github_list_repositories", arguments: { sort: "created", per_page: 100 } }),
    );
    expect(standIn.apiRequests.at(-1)?.query).toEqual({ per_page: "100", page: "1", sort: "created" });
    expect(all).toMatchObject({ page: 1, next_page: null, last_page: 1 });
    expect(all.repositories).toHaveLength(4);
  });

  test("a token with public_repo only does not see private repositories", async () => {
    const all = structured(await readOnly.callTool({ name: "github_list_repositories", arguments: {} }));
    const names = (all.repositories as { full_name: string }[]).map((r) => r.full_name);
    expect(names).not.toContain("octocat/secret-plans");
    expect(names).toHaveLength(3);
  });

  test("out-of-range arguments are refused before GitHub is called", async () => {
    const before = standIn.apiRequests.length;
    const result = await full.callTool({ name: "github_list_repositories", arguments: { per_page: 500 } });
    expect(result.isError).toBe(true);
    expect(standIn.apiRequests.length).toBe(before);
  });
});

describe("github_create_issue", () => {
  test("POST /repos/{owner}/{repo}/issues → the issue's number and URL", async () => {
    const created = structured(
      await full.callTool({
        name: "github_create_issue",
        arguments: { owner: "octocat", repo: "hello-world", title: "Found a bug", body: "Steps to reproduce…" },
      }),
    );
    expect(created).toEqual({ number: 1, html_url: "https://github.com/octocat/hello-world/issues/1" });
    expect(standIn.issues.at(-1)).toEqual({
      repository: "octocat/hello-world",
      number: 1,
      title: "Found a bug",
      body: "Steps to reproduce…",
      user: "octocat",
    });
    const again = structured(
      await full.callTool({
        name: "github_create_issue",
        arguments: { owner: "octocat", repo: "hello-world", title: "More" },
      }),
    );
    expect(again.number).toBe(2);
    expect(standIn.issues.at(-1)?.body).toBeNull();
  });

  test("GitHub's 404, 410 and 422 become tool errors that say what GitHub said", async () => {
    const call = (args: Record<string, unknown>) => full.callTool({ name: "github_create_issue", arguments: args });
    expect(errorText(await call({ owner: "octocat", repo: "no-such-repo", title: "x" }))).toBe(
      "GitHub API answered HTTP 404: Not Found (POST /repos/octocat/no-such-repo/issues). " +
        "See https://docs.github.com/rest/issues/issues#create-an-issue",
    );
    expect(errorText(await call({ owner: "octocat", repo: "archive-notes", title: "x" }))).toContain(
      "GitHub API answered HTTP 410: Issues are disabled for this repo",
    );
    expect(errorText(await call({ owner: "octocat", repo: "hello-world", title: "   " }))).toContain(
      "GitHub API answered HTTP 422: Validation Failed (Issue.title missing_field)",
    );
  });

  test("a private repository the token cannot write to is GitHub's 404", async () => {
    // github.write for us, but a GitHub token with public_repo only.
    const writer = await clientFor(["github.write"], await githubToken(["read:user", "public_repo"]));
    expect(
      errorText(
        await writer.callTool({
          name: "github_create_issue",
          arguments: { owner: "octocat", repo: "secret-plans", title: "x" },
        }),
      ),
    ).toContain("HTTP 404: Not Found");
    expect(standIn.issues.some((i) => i.repository === "octocat/secret-plans")).toBe(false);
  });

  test("owner and repo that are not GitHub names are refused (no path tricks reach GitHub)", async () => {
    const before = standIn.apiRequests.length;
    for (const args of [
      { owner: "../admin", repo: "x", title: "t" },
      { owner: "octocat", repo: "..", title: "t" },
      { owner: "octocat", repo: "a/b", title: "t" },
    ]) {
      expect((await full.callTool({ name: "github_create_issue", arguments: args })).isError).toBe(true);
    }
    expect(standIn.apiRequests.length).toBe(before);
  });
});

describe("authorization", () => {
  test("a caller without github.write cannot create issues (HTTP 403 before dispatch), and GitHub is not called", async () => {
    const before = standIn.apiRequests.length;
    await expect(
      readOnly.callTool({
        name: "github_create_issue",
        arguments: { owner: "octocat", repo: "hello-world", title: "x" },
      }),
    ).rejects.toThrow("Insufficient scope: requires github.write");
    expect(standIn.apiRequests.length).toBe(before);
  });

  test("a GitHub token GitHub no longer accepts: the tool says to sign in again", async () => {
    const token = await githubToken(["read:user", "repo"]);
    const client = await clientFor(["github.read"], token);
    standIn.revokeAccessToken(token);
    expect(errorText(await client.callTool({ name: "github_whoami", arguments: {} }))).toBe(
      "GitHub refused the access token (HTTP 401: Bad credentials): the GitHub authorization has expired or " +
        "was revoked. Sign in again from the MCP client to re-authorize.",
    );
  });

  test("no GitHub token for the caller: the tool says to sign in again, without calling GitHub", async () => {
    const before = standIn.apiRequests.length;
    const client = await clientFor(["github.read"], undefined);
    expect(errorText(await client.callTool({ name: "github_whoami", arguments: {} }))).toContain("sign in again");
    expect(standIn.apiRequests.length).toBe(before);
  });
});

describe("where the tools send their requests", () => {
  test("without the setup: api.github.com unless apiUrl says otherwise; an unreachable API is a tool error", async () => {
    // A port that was free a moment ago: nothing listens there.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
      });
    });
    const other = await serve((mcp) => {
      registerGitHubTools(mcp, { apiUrl: `http://127.0.0.1:${closedPort}`, requestTimeout: 5 });
    });
    try {
      const client = await clientFor(["github.read"], "gho_whatever", other.url as string);
      expect(errorText(await client.callTool({ name: "github_whoami", arguments: {} }))).toBe(
        "GitHub request failed (GET /user): GitHub could not be reached (ECONNREFUSED).",
      );
    } finally {
      await other.close();
    }
  });

  test("bad options are refused when the tools are registered", () => {
    const mcp = new ChukMCPServer("bad-options", { logLevel: "silent" });
    expect(() => registerGitHubTools(mcp, { apiUrl: "api.github.com" })).toThrow(
      "registerGitHubTools: apiUrl must be an absolute http(s) URL",
    );
    expect(() => registerGitHubTools(mcp, { requestTimeout: 0 })).toThrow("requestTimeout must be a positive");
  });

  test("GitHub's REST API refuses a request without User-Agent (why every call sends one)", async () => {
    const token = await githubToken(["read:user"]);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const origin = new URL(standIn.origin);
      const req = httpRequest(
        {
          host: origin.hostname,
          port: origin.port,
          path: "/user",
          headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (c: string) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status.status).toBe(403);
    expect(status.body).toContain("Please make sure your request has a User-Agent header");
  });
});
