/**
 * Logging in to the cluster without a browser: every page of the login (our
 * consent page, the development login and our callback) is served through
 * the proxy, by whichever instance is next. And the requests the cluster
 * tests make with the tokens they get.
 */
import { auth as sdk1Auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { modernBody, modernPost, type RpcBody } from "../helpers/mcp-http.js";
import { Sdk1OAuthClient } from "../helpers/oauth-client.js";
import { type LoggingInOAuthClient, loggingInOAuthClient } from "../helpers/oauth-login.js";

/** An SDK client's OAuth side whose user logs in through the cluster (any instance serves each page). */
export const clusterOAuthClient = loggingInOAuthClient;

/** A user logged in through the cluster with the SDK 1.x client's `auth()`: its client and tokens. */
export interface SignedIn {
  client: LoggingInOAuthClient<Sdk1OAuthClient>;
  clientId: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a client and logs `username` in through the proxy (the SDK 1.x OAuth machinery). */
export async function signIn(
  mcpUrl: string,
  setup: { redirectUrl: string; clientName: string; username: string },
): Promise<SignedIn> {
  const client = clusterOAuthClient(Sdk1OAuthClient, setup);
  const started = await sdk1Auth(client.oauth, { serverUrl: mcpUrl, fetchFn: client.fetch });
  if (started !== "REDIRECT") throw new Error(`expected a login to start, got ${started}`);
  const done = await sdk1Auth(client.oauth, {
    serverUrl: mcpUrl,
    authorizationCode: client.oauth.code(),
    fetchFn: client.fetch,
  });
  if (done !== "AUTHORIZED") throw new Error(`expected the code to be exchanged, got ${done}`);
  const tokens = client.oauth.currentTokens;
  return {
    client,
    clientId: client.oauth.clientInfo?.client_id as string,
    accessToken: tokens?.access_token as string,
    refreshToken: tokens?.refresh_token as string,
  };
}

/** `whoami` over the modern era at `mcpUrl` with `token`: status, Retry-After, the tool's output (on success) and how long it took. */
export async function whoamiAt(
  mcpUrl: string,
  token: string,
): Promise<{ status: number; retryAfter: string | null; out: Record<string, unknown> | undefined; ms: number }> {
  const started = performance.now();
  const res = await modernPost(mcpUrl, modernBody("tools/call", { name: "whoami", arguments: {} }), {
    authorization: `Bearer ${token}`,
  });
  const body = (await res.json().catch(() => undefined)) as RpcBody | undefined;
  const ms = performance.now() - started;
  const out = res.status === 200 ? (body?.result?.structuredContent as Record<string, unknown> | undefined) : undefined;
  return { status: res.status, retryAfter: res.headers.get("retry-after"), out, ms };
}

/** A refresh_token grant at `origin` (a public client): status, Retry-After, body and how long it took. */
export async function refreshAt(
  origin: string,
  clientId: string,
  refreshToken: string,
): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${origin}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId }),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body, ms: performance.now() - started };
}
