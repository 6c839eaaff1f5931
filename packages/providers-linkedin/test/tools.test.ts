/**
 * The ready LinkedIn tools against the LinkedIn stand-in, called by an SDK 1.x
 * client over our HTTP transport. Who the caller is comes from a small
 * `AuthVerifier` installed through the server's public seam (the OAuth layer
 * itself is exercised end to end in tests/providers/linkedin.test.ts): each
 * test bearer token maps to an `AuthInfo` carrying a LinkedIn access token
 * that the stand-in issued.
 */
import type { AuthInfo } from "@chuk-mcp/server";
import { ChukMCPServer, McpHttpError, type RunningServer } from "@chuk-mcp/server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../../oauth/test/helpers/free-port.js";
import { escapeLittleText, LINKEDIN_API_VERSION, registerLinkedInTools } from "../src/index.js";
import { LinkedInStandIn } from "./stand-in.js";

let standIn: LinkedInStandIn;
let running: RunningServer;
let mcpUrl: string;
/** Our bearer tokens → who they are. */
const callers = new Map<string, AuthInfo>();

beforeAll(async () => {
  standIn = await LinkedInStandIn.start({ clientId: "li-client", clientSecret: "li-secret" });
  const mcp = new ChukMCPServer("linkedin-tools-test", { logLevel: "silent" });
  registerLinkedInTools(mcp, { apiUrl: standIn.url });
  mcp.setAuthVerifier({
    async verify(request) {
      const header = request.headers.authorization;
      if (typeof header !== "string") return undefined;
      const caller = callers.get(header.replace(/^Bearer /, ""));
      if (!caller) throw new McpHttpError(401, -32001, "Unknown token", { "www-authenticate": "Bearer" });
      return caller;
    },
  });
  const port = await freePort();
  running = await mcp.run({ transport: "http", port, handleSignals: false });
  mcpUrl = `http://127.0.0.1:${port}/mcp`;
});
afterAll(async () => {
  await running?.close();
  await standIn?.close();
});

/** A client whose caller holds `scopes` here and, at LinkedIn, a token with `linkedInScopes`. */
async function clientFor(
  options: { scopes?: string[]; linkedInScopes?: string[]; subject?: string | null; linkedInToken?: string } = {},
) {
  const ours = `ours-${callers.size + 1}`;
  const linkedInToken = options.linkedInToken ?? standIn.issueAccessToken(options.linkedInScopes);
  const caller: AuthInfo = {
    token: ours,
    clientId: "test-client",
    scopes: options.scopes ?? ["profile.read", "posts.write"],
    externalAccessToken: linkedInToken,
  };
  if (options.subject !== null) caller.subject = options.subject ?? standIn.member.sub;
  callers.set(ours, caller);
  const client = new Client({ name: "linkedin-tools-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${ours}` } },
    }),
  );
  return { client, linkedInToken };
}

type ToolResult = Awaited<ReturnType<Client["callTool"]>>;
const textOf = (result: ToolResult) => (result.content as { type: string; text: string }[]).map((c) => c.text).join("");

describe("linkedin_profile", () => {
  test("returns the member from /v2/userinfo", async () => {
    const { client } = await clientFor();
    const result = await client.callTool({ name: "linkedin_profile", arguments: {} });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toEqual({
      sub: standIn.member.sub,
      name: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      email: "ada@example.com",
      emailVerified: true,
      picture: standIn.member.picture,
    });
    await client.close();
  });

  test("an expired LinkedIn token: a tool error asking the member to sign in again", async () => {
    const { client } = await clientFor({ linkedInToken: standIn.issueAccessToken(undefined, -1) });
    const result = await client.callTool({ name: "linkedin_profile", arguments: {} });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(
      /^LinkedIn refused to read your profile \(HTTP 401, EXPIRED_ACCESS_TOKEN: The token used in the request has expired\)\./,
    );
    expect(text).toContain("most apps get no refresh token: sign in with LinkedIn again (re-authorize this server)");
    await client.close();
  });
});

describe("linkedin_publish_post", () => {
  test("posts as the member with LinkedIn's headers and body; returns the URN from x-restli-id", async () => {
    const { client } = await clientFor();
    const result = await client.callTool({
      name: "linkedin_publish_post",
      arguments: { content: "Shipped v1 (finally) #typescript @team ~ 100% *done*" },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const post = standIn.posts.at(-1);
    expect(result.structuredContent).toEqual({
      id: post?.id,
      url: `https://www.linkedin.com/feed/update/${encodeURIComponent(post?.id as string)}/`,
      visibility: "PUBLIC",
    });
    expect(post?.id).toMatch(/^urn:li:share:\d{19}$/);
    expect(post?.version).toBe(LINKEDIN_API_VERSION);
    expect(post?.body).toEqual({
      author: `urn:li:person:${standIn.member.sub}`,
      commentary: "Shipped v1 \\(finally\\) \\#typescript \\@team \\~ 100% \\*done\\*",
      visibility: "PUBLIC",
      distribution: { feedDistribution: "MAIN_FEED", targetEntities: [], thirdPartyDistributionChannels: [] },
      lifecycleState: "PUBLISHED",
      isReshareDisabledByAuthor: false,
    });
    await client.close();
  });

  test("CONNECTIONS visibility; without our subject the author comes from /v2/userinfo", async () => {
    const { client } = await clientFor({ subject: null });
    const result = await client.callTool({
      name: "linkedin_publish_post",
      arguments: { content: "For my network", visibility: "CONNECTIONS" },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(standIn.posts.at(-1)?.body).toMatchObject({
      author: `urn:li:person:${standIn.member.sub}`,
      commentary: "For my network",
      visibility: "CONNECTIONS",
    });
    await client.close();
  });

  test("a LinkedIn token without w_member_social: 403 with what the app needs", async () => {
    const { client } = await clientFor({ linkedInScopes: ["openid", "profile", "email"] });
    const posts = standIn.posts.length;
    const result = await client.callTool({ name: "linkedin_publish_post", arguments: { content: "nope" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^LinkedIn refused to publish the post \(HTTP 403, ACCESS_DENIED: /);
    expect(textOf(result)).toContain('"Share on LinkedIn" product (scope w_member_social)');
    expect(standIn.posts.length).toBe(posts);
    await client.close();
  });

  test("a revoked or unknown LinkedIn token: 401, sign in again", async () => {
    const { client } = await clientFor({ linkedInToken: "AQV-not-a-token" });
    const result = await client.callTool({ name: "linkedin_publish_post", arguments: { content: "nope" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^LinkedIn refused to publish the post \(HTTP 401, INVALID_ACCESS_TOKEN: /);
    expect(textOf(result)).toContain("re-authorize");
    await client.close();
  });

  test("a LinkedIn-Version LinkedIn no longer serves: 426 naming apiVersion", async () => {
    const { client } = await clientFor();
    const oldest = standIn.oldestActiveVersion;
    standIn.oldestActiveVersion = "209912";
    try {
      const result = await client.callTool({ name: "linkedin_publish_post", arguments: { content: "hello" } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(
        `LinkedIn refused to publish the post (HTTP 426, NONEXISTENT_VERSION: Requested version ${LINKEDIN_API_VERSION} is not active). ` +
          "This LinkedIn-Version is no longer served: pass a newer apiVersion to registerLinkedInTools.",
      );
    } finally {
      standIn.oldestActiveVersion = oldest;
      await client.close();
    }
  });

  test("arguments are checked before LinkedIn is called: empty and over-long posts, unknown visibility", async () => {
    const { client } = await clientFor();
    const posts = standIn.posts.length;
    for (const args of [{ content: "   " }, { content: "x".repeat(3001) }, { content: "hi", visibility: "FRIENDS" }]) {
      const result = await client.callTool({ name: "linkedin_publish_post", arguments: args });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Invalid arguments for tool linkedin_publish_post/);
    }
    expect(standIn.posts.length).toBe(posts);
    await client.close();
  });
});

describe("registration", () => {
  test("both tools are listed with their schemas; LinkedIn unreachable is a clear tool error", async () => {
    const mcp = new ChukMCPServer("linkedin-unreachable", { logLevel: "silent" });
    const closedPort = await freePort();
    registerLinkedInTools(mcp, { apiUrl: `http://127.0.0.1:${closedPort}` });
    const tools = mcp.tools.list();
    expect(tools.map((t) => t.name)).toEqual(["linkedin_profile", "linkedin_publish_post"]);
    const publish = tools.find((t) => t.name === "linkedin_publish_post");
    expect(publish?.inputSchema).toMatchObject({
      properties: { visibility: { enum: ["PUBLIC", "CONNECTIONS"], default: "PUBLIC" } },
      required: ["content"],
    });

    mcp.setAuthVerifier({
      verify: async () => ({
        token: "t",
        clientId: "c",
        scopes: ["profile.read"],
        subject: "x",
        externalAccessToken: "AQV-x",
      }),
    });
    const port = await freePort();
    const server = await mcp.run({ transport: "http", port, handleSignals: false });
    const client = new Client({ name: "t", version: "1" });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
      const result = await client.callTool({ name: "linkedin_profile", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe("Could not reach LinkedIn (network error ECONNREFUSED); try again later.");
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("a malformed apiVersion is refused at registration", () => {
    expect(() => registerLinkedInTools(new ChukMCPServer("t"), { apiVersion: "2026-09" })).toThrow(
      "registerLinkedInTools: apiVersion must be YYYYMM, e.g. 202609",
    );
  });

  test("escapeLittleText escapes every reserved character and nothing else", () => {
    expect(escapeLittleText("\\|{}@[]()<>#*_~")).toBe("\\\\\\|\\{\\}\\@\\[\\]\\(\\)\\<\\>\\#\\*\\_\\~");
    expect(escapeLittleText("Plain text, 100% ok! é 🚀")).toBe("Plain text, 100% ok! é 🚀");
  });
});
