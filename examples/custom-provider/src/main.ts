/**
 * A custom upstream provider, complete: Acme, a fictional OAuth 2.0 service
 * with an authorization server at https://auth.acme.example and an API at
 * https://api.acme.example, as a `BaseOAuthProvider` subclass, wired with
 * `OAuthMiddleware` in `postRegisterHook`, and two protected tools that call
 * Acme's API with the signed-in user's Acme token.
 *
 * Run it: ACME_CLIENT_ID=… ACME_CLIENT_SECRET=… node dist/main.js
 * (register http://localhost:8000/oauth/callback as the app's redirect URI at
 * Acme). Optional: PORT (default 8000), OAUTH_SERVER_URL (default
 * http://localhost:$PORT), ACME_AUTH_URL and ACME_API_URL (a stand-in instead
 * of Acme; http only on a loopback host). See docs/oauth/custom-providers.md.
 */
import {
  BaseOAuthProvider,
  isLoopbackHost,
  OAuthMiddleware,
  type UpstreamAuthorizationRequest,
  UpstreamError,
  type UpstreamIdentity,
  type UpstreamTokens,
} from "@chuk-mcp/oauth";
import { type CallToolResult, ChukMCPServer, ConfigError, requiresAuth } from "@chuk-mcp/server";
import { z } from "zod";

// Acme's endpoints, from its developer documentation.
export const ACME_AUTH_URL = "https://auth.acme.example";
export const ACME_API_URL = "https://api.acme.example";
const AUTHORIZE_PATH = "/oauth2/authorize";
const TOKEN_PATH = "/oauth2/token";
const REVOKE_PATH = "/oauth2/revoke";
const ME_PATH = "/v1/me";
const POSTS_PATH = "/v1/posts";

export interface AcmeOAuthProviderOptions {
  clientId: string;
  clientSecret: string;
  /** Our callback, as registered at Acme: `<our public URL>/oauth/callback`. */
  redirectUri: string;
  /** Where Acme is (tests point these at a local stand-in). */
  authUrl?: string;
  apiUrl?: string;
}

/** Whether `url` is on this machine (a malformed one is not; the constructor then names it). */
const onLoopback = (url: string): boolean => URL.canParse(url) && isLoopbackHost(new URL(url).hostname);

/**
 * Acme as the upstream: client secret in the form body, PKCE, rotating
 * refresh tokens, RFC 7009 revocation. Acme has no OpenID Connect, so users
 * are identified through its API (`GET /v1/me`).
 */
export class AcmeOAuthProvider extends BaseOAuthProvider {
  readonly name = "Acme";
  /** Acme's API origin, for tools. */
  readonly apiUrl: string;

  constructor(options: AcmeOAuthProviderOptions) {
    const authUrl = options.authUrl ?? ACME_AUTH_URL;
    const apiUrl = options.apiUrl ?? ACME_API_URL;
    super({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      // Acme reads the client's credentials from the form body.
      clientAuthentication: "client_secret_post",
      redirectUri: options.redirectUri,
      scopes: ["profile"],
      endpoints: {
        authorization: `${authUrl}${AUTHORIZE_PATH}`,
        token: `${authUrl}${TOKEN_PATH}`,
        revocation: `${authUrl}${REVOKE_PATH}`,
      },
      // Plain http only for a stand-in on this machine.
      allowInsecureRequests: [authUrl, apiUrl].every(onLoopback),
    });
    this.apiUrl = apiUrl;
  }

  /** Acme's `posts:write` only when the MCP client asked for our `posts.write`: least privilege upstream too. */
  protected override upstreamScopes(request: UpstreamAuthorizationRequest): readonly string[] {
    return request.scopes.includes("posts.write") ? [...this.scopes, "posts:write"] : this.scopes;
  }

  /** The user behind the tokens, from Acme's API (Acme has no OpenID Connect). */
  protected override async identify(tokens: UpstreamTokens): Promise<UpstreamIdentity> {
    const me = await this.getJson(`${this.apiUrl}${ME_PATH}`, tokens);
    if (typeof me.id !== "string" || me.id === "") {
      throw new UpstreamError("upstream_error", `Acme: ${ME_PATH} answered without an id`);
    }
    return {
      userId: `acme:${me.id}`,
      ...(typeof me.display_name === "string" ? { name: me.display_name } : {}),
      ...(typeof me.email === "string" ? { email: me.email } : {}),
    };
  }
}

// Configuration: credentials from the environment, checked before anything starts.
const env = process.env;
const port = Number(env.PORT) > 0 ? Number(env.PORT) : 8000;
const serverUrl = (env.OAUTH_SERVER_URL || `http://localhost:${port}`).replace(/\/+$/, "");
const clientId = env.ACME_CLIENT_ID?.trim();
const clientSecret = env.ACME_CLIENT_SECRET?.trim();
if (!clientId || !clientSecret) {
  throw new ConfigError(
    `Acme OAuth needs ACME_CLIENT_ID and ACME_CLIENT_SECRET: register an app at Acme with the redirect URI ${serverUrl}/oauth/callback`,
  );
}
const acme = new AcmeOAuthProvider({
  clientId,
  clientSecret,
  redirectUri: `${serverUrl}/oauth/callback`,
  ...(env.ACME_AUTH_URL ? { authUrl: env.ACME_AUTH_URL.replace(/\/+$/, "") } : {}),
  ...(env.ACME_API_URL ? { apiUrl: env.ACME_API_URL.replace(/\/+$/, "") } : {}),
});

/** Calls Acme's API as the signed-in user; Acme's refusals become a tool error with its status and message. */
async function callAcme(
  token: string | undefined,
  path: string,
  init: { method?: string; body?: unknown },
  signal: AbortSignal,
): Promise<Record<string, unknown> | CallToolResult> {
  const failed = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });
  if (!token) return failed("No Acme token is stored for this user: sign in again.");
  let response: Response;
  try {
    response = await fetch(`${acme.apiUrl}${path}`, {
      method: init.method ?? "GET",
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]),
    });
  } catch {
    return failed("Could not reach Acme; try again later.");
  }
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: unknown } } & Record<string, unknown>;
  if (!response.ok) {
    const message = typeof body.error?.message === "string" ? `: ${body.error.message.slice(0, 300)}` : "";
    const hint = response.status === 401 ? " The Acme authorization has ended: sign in again." : "";
    return failed(`Acme refused the request (HTTP ${response.status}${message}).${hint}`);
  }
  return body;
}

const mcp = new ChukMCPServer("acme-tools", { version: "0.1.0" });

mcp.tool(
  "acme_whoami",
  { description: "Who the signed-in user is at Acme.", annotations: { readOnlyHint: true, openWorldHint: true } },
  requiresAuth({}, async (_args, ctx) => {
    const me = await callAcme(ctx.auth.externalAccessToken, ME_PATH, {}, ctx.signal);
    if ("isError" in me) return me;
    return { id: String(me.id), displayName: String(me.display_name ?? ""), email: String(me.email ?? "") };
  }),
);

mcp.tool(
  "publish_post",
  {
    description: "Publish a post on Acme as the signed-in user.",
    input: { content: z.string().trim().min(1).max(5000).describe("What to post") },
    annotations: { openWorldHint: true },
  },
  requiresAuth({ scopes: ["posts.write"] }, ({ content }, ctx) =>
    callAcme(ctx.auth.externalAccessToken, POSTS_PATH, { method: "POST", body: { content } }, ctx.signal),
  ),
);

await mcp.run({
  transport: "http",
  port,
  postRegisterHook: (server) =>
    new OAuthMiddleware({
      mcpServer: server,
      provider: acme,
      oauthServerUrl: serverUrl,
      scopesSupported: ["posts.write"],
      providerName: "Acme",
    }),
});
