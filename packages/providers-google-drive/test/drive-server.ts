/**
 * A real MCP server for the tool tests: a ChukMCPServer on a free loopback
 * port with the ready Drive tools and `setupGoogleDriveOAuth`, Google being
 * the stand-in. `signIn(scopes)` goes the whole way a client goes —
 * registration, our consent page, Google's (stand-in) authorization, our
 * callback, the token request — and `callTool` calls a tool over MCP with
 * the access token it got.
 */
import { createHash, randomBytes } from "node:crypto";
import type { OAuthMiddleware } from "@chuk-mcp/oauth";
import { type CallToolResult, ChukMCPServer, type RunningServer } from "@chuk-mcp/server";
import { headersFor, modernBody } from "../../../tests/helpers/mcp-http.js";
import { loginWithoutBrowser } from "../../../tests/helpers/oauth-login.js";
import { freePort } from "../../oauth/test/helpers/free-port.js";
import {
  type GoogleDriveSetupOptions,
  type GoogleDriveToolsOptions,
  registerGoogleDriveTools,
  setupGoogleDriveOAuth,
} from "../src/index.js";
import type { GoogleStandIn } from "./stand-in.js";

/** The MCP client's redirect URI (nobody listens: the login stops at the redirect). */
const CLIENT_REDIRECT = "http://127.0.0.1:47621/callback";

export interface DriveServer {
  origin: string;
  mcpUrl: string;
  server: ChukMCPServer;
  /** Signs the stand-in's user in through our authorization server; returns our access token. */
  signIn(scopes: string[]): Promise<string>;
  /** `tools/call` over HTTP: the HTTP status and, for 200, the tool's result. */
  callTool(
    accessToken: string,
    name: string,
    args: Record<string, unknown>,
  ): Promise<{
    status: number;
    result?: CallToolResult;
    error?: { code: number; message: string };
    wwwAuthenticate: string | null;
  }>;
  /** `tools/list` over HTTP, without a token (listing is public). */
  listTools(): Promise<{ name: string; annotations?: Record<string, unknown>; inputSchema: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

export interface DriveServerOptions {
  tools?: GoogleDriveToolsOptions;
  /** The setup's options for a server at `origin` (default: the stand-in's credentials as options, no environment). */
  setup?: (origin: string) => GoogleDriveSetupOptions;
  /** Our callback's path (default `/oauth/callback`): registered at the stand-in. */
  callbackPath?: string;
}

export async function startDriveServer(google: GoogleStandIn, options: DriveServerOptions = {}): Promise<DriveServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  google.redirectUris = [`${origin}${options.callbackPath ?? "/oauth/callback"}`];
  const server = new ChukMCPServer("google-drive-test", { version: "1.0.0", logLevel: "silent" });
  registerGoogleDriveTools(server, options.tools);
  const hook = setupGoogleDriveOAuth(
    server,
    options.setup?.(origin) ?? {
      clientId: google.clientId,
      clientSecret: google.clientSecret,
      oauthServerUrl: origin,
      upstreamUrl: google.origin,
      env: {},
    },
  );
  let middleware: OAuthMiddleware | undefined;
  const running: RunningServer = await server.run({
    transport: "http",
    host: "127.0.0.1",
    port,
    handleSignals: false,
    postRegisterHook: (s) => {
      middleware = hook(s) as OAuthMiddleware;
    },
  });
  const mcpUrl = `${origin}/mcp`;

  async function signIn(scopes: string[]): Promise<string> {
    const registered = await fetch(`${origin}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "Drive tools test",
        redirect_uris: [CLIENT_REDIRECT],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      }),
    });
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const verifier = randomBytes(32).toString("base64url");
    const authorize = new URL(`${origin}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: CLIENT_REDIRECT,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
      state: randomBytes(8).toString("hex"),
      scope: scopes.join(" "),
      resource: mcpUrl,
    }).toString();
    const login = await loginWithoutBrowser(authorize, CLIENT_REDIRECT);
    if (!login.code) throw new Error(`the sign-in ended without a code: ${login.error}`);
    const token = await fetch(`${origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: login.code,
        redirect_uri: CLIENT_REDIRECT,
        client_id: clientId,
        code_verifier: verifier,
        resource: mcpUrl,
      }),
    });
    const body = (await token.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`no access token: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async function callTool(accessToken: string, name: string, args: Record<string, unknown>) {
    const body = modernBody("tools/call", { name, arguments: args });
    const response = await fetch(mcpUrl, {
      method: "POST",
      headers: { ...headersFor(body), authorization: `Bearer ${accessToken}` },
      body: JSON.stringify(body),
    });
    const wwwAuthenticate = response.headers.get("www-authenticate");
    if (response.status !== 200) {
      await response.body?.cancel();
      return { status: response.status, wwwAuthenticate };
    }
    const rpc = (await response.json()) as { result?: CallToolResult; error?: { code: number; message: string } };
    return {
      status: 200,
      wwwAuthenticate,
      ...(rpc.result === undefined ? {} : { result: rpc.result }),
      ...(rpc.error === undefined ? {} : { error: rpc.error }),
    };
  }

  async function listTools() {
    const body = modernBody("tools/list");
    const response = await fetch(mcpUrl, { method: "POST", headers: headersFor(body), body: JSON.stringify(body) });
    const rpc = (await response.json()) as { result: { tools: Awaited<ReturnType<DriveServer["listTools"]>> } };
    return rpc.result.tools;
  }

  return {
    origin,
    mcpUrl,
    server,
    signIn,
    callTool,
    listTools,
    close: async () => {
      await running.close();
      await middleware?.close();
    },
  };
}
