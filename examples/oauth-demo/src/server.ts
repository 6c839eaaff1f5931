/**
 * The OAuth demo: what the root `npm start` runs. An MCP server whose tools
 * are protected by our OAuth 2.1 authorization server, with the development
 * provider (`/dev-idp/*`, any username logs in) standing in for Google or
 * GitHub, and the memory token store.
 *
 * - `echo` is public;
 * - `whoami` needs a login and shows who the token belongs to;
 * - `publish_post` needs the `posts.write` scope and calls the development
 *   provider's API with the user's upstream token, as a real integration
 *   would call LinkedIn's.
 */

import { DevOAuthProvider, OAuthMiddleware, resolveOAuthConfig } from "@chuk-mcp/oauth";
import {
  ChukMCPServer,
  type ChukMCPServerOptions,
  ConfigError,
  type RunningServer,
  requiresAuth,
} from "@chuk-mcp/server";
import { z } from "zod";

/** Scopes clients may ask for; `publish_post` needs `posts.write`. */
export const DEMO_SCOPES = ["posts.write", "profile.read"] as const;

export interface OAuthDemoOptions {
  /**
   * Where the demo reads `PORT` (default 8000), `HOST` (default 127.0.0.1),
   * `OAUTH_SERVER_URL` and the other `OAUTH_*` settings (default `process.env`).
   */
  env?: NodeJS.ProcessEnv;
  /** Options of the MCP server itself (`logLevel`, `logger`, …). */
  server?: ChukMCPServerOptions;
}

export interface OAuthDemo {
  readonly server: ChukMCPServer;
  readonly provider: DevOAuthProvider;
  /** The authorization server's issuer: `OAUTH_SERVER_URL`, else `http://localhost:<PORT or 8000>`. */
  readonly issuer: string;
  /** Where MCP clients connect: the issuer followed by `/mcp` (the tokens' audience). */
  readonly mcpUrl: string;
  /** Serves HTTP on `HOST`:`PORT` with the OAuth endpoints mounted; logs how to connect. */
  run(): Promise<RunningServer>;
}

/** What the development provider's API answers to `POST /dev-idp/api/posts`. */
type DevPost = Record<string, unknown> & {
  id: string;
  content: string;
  author: { id: string; name: string };
  createdAt: string;
};

/** Builds the demo server; nothing listens until `run()`. */
export function createOAuthDemo(options: OAuthDemoOptions = {}): OAuthDemo {
  const env = options.env ?? process.env;
  const port = portOf(env);
  const host = env.HOST || "127.0.0.1";
  // The issuer follows the port the demo listens on, so a client that reaches
  // http://localhost:<port>/mcp finds metadata naming that same URL.
  const { issuer } = resolveOAuthConfig({}, { env, defaultServerUrl: `http://localhost:${port}` });
  const mcpUrl = `${issuer}/mcp`;

  const server = new ChukMCPServer("chuk-oauth-demo", {
    version: "0.1.0",
    title: "OAuth demo",
    instructions:
      "echo is public; whoami and publish_post need a login (the development provider accepts any username).",
    ...options.server,
  });

  // Says loudly, through the server's logger, that it lets anyone in.
  const provider = new DevOAuthProvider({ serverUrl: issuer, logger: server.logger });

  server.tool(
    "echo",
    { description: "Returns the text it is given. Public.", input: { text: z.string().describe("Text to echo") } },
    ({ text }) => text,
  );

  server.tool(
    "whoami",
    {
      description: "Who the access token belongs to: user id, OAuth client id and granted scopes. Needs a login.",
      output: { userId: z.string(), clientId: z.string(), scopes: z.array(z.string()) },
      annotations: { readOnlyHint: true },
    },
    requiresAuth({}, (_args, ctx) => ({
      userId: ctx.auth.subject ?? "",
      clientId: ctx.auth.clientId,
      scopes: ctx.auth.scopes,
    })),
  );

  server.tool(
    "publish_post",
    {
      description:
        "Publishes a post through the development provider's API, as the logged-in user. Needs the posts.write scope.",
      input: { content: z.string().min(1).describe("What to post") },
      annotations: { openWorldHint: true },
    },
    requiresAuth({ scopes: ["posts.write"] }, async ({ content }, ctx): Promise<DevPost> => {
      const upstreamToken = ctx.auth.externalAccessToken;
      if (!upstreamToken) throw new Error("no upstream token for this user: log in again");
      const response = await fetch(provider.postsUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${upstreamToken}`, "content-type": "application/json" },
        body: JSON.stringify({ content }),
        signal: ctx.signal,
      });
      if (!response.ok) throw new Error(`the development provider refused the post (HTTP ${response.status})`);
      return (await response.json()) as DevPost;
    }),
  );

  return {
    server,
    provider,
    issuer,
    mcpUrl,
    async run() {
      let middleware: OAuthMiddleware | undefined;
      const running = await server.run({
        transport: "http",
        host,
        port,
        postRegisterHook: (mcp) => {
          middleware = new OAuthMiddleware({
            mcpServer: mcp,
            provider,
            oauthServerUrl: issuer,
            scopesSupported: DEMO_SCOPES,
            env,
          });
        },
      });
      void running.closed.then(() => middleware?.close());
      server.logger.info({ url: mcpUrl }, `OAuth demo: connect an MCP client to ${mcpUrl}`);
      server.logger.info(
        `To try it: npx @modelcontextprotocol/inspector --transport http --server-url ${mcpUrl}, then run whoami and sign in with any username`,
      );
      return running;
    },
  };
}

/** `PORT` (default 8000). The issuer names the port, so it must be a fixed one unless `OAUTH_SERVER_URL` says otherwise. */
function portOf(env: NodeJS.ProcessEnv): number {
  if (!env.PORT) return 8000;
  const port = Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError("PORT: must be a port number");
  if (port === 0 && !env.OAUTH_SERVER_URL) {
    throw new ConfigError("PORT: the OAuth demo needs a fixed port (its issuer URL names it), or set OAUTH_SERVER_URL");
  }
  return port;
}
