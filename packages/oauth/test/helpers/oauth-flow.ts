/**
 * The whole authorization flow over real HTTP, without a browser, against a
 * server from `startOAuthServer()`:
 *
 * - `saveClient` / `registerClient`: a client (straight into the store, or
 *   through `POST /oauth/register`); `useClient`: one saved for the file;
 * - `TestBrowser`, `parseForms` (from ./browser.ts): a browser over fetch;
 * - `authorize`: the authorization URL for a client, then `followLogin` (the
 *   consent page and the development login) to the redirect to the client,
 *   returning `code`, `state`, `iss` (or `error`) and every page on the way;
 * - `tokenRequest`, `exchangeCode`, `refresh`, `revoke`: the back channel,
 *   authenticating as the client registered (or as told);
 * - `obtainTokens`: all of it in one call.
 */

import { generateClientSecret } from "../../src/clients/secret.js";
import type { ClientRecord, TokenEndpointAuthMethod } from "../../src/store/records.js";
import { computeCodeChallenge, generateCodeVerifier } from "../../src/tokens/pkce.js";
import { followLogin, type LoginOptions, type LoginResult, TestBrowser } from "./browser.js";
import type { StartedOAuthServer } from "./oauth-server.js";
import { suiteFixture } from "./suite-fixture.js";

export { type BrowserResponse, type HtmlForm, parseForms, TestBrowser } from "./browser.js";

// --- clients -----------------------------------------------------------------

/** A client the tests act as. */
export interface TestClient {
  clientId: string;
  /** For confidential clients. */
  clientSecret?: string;
  /** The redirect URI the flow uses (the first registered one by default). */
  redirectUri: string;
  record: ClientRecord;
}

export interface SaveClientOptions {
  clientId?: string;
  clientName?: string;
  /** Default `"none"` (a public client). */
  authMethod?: TokenEndpointAuthMethod;
  /** Default `["authorization_code", "refresh_token"]`. */
  grantTypes?: string[];
  /** Default one loopback URI on a made-up port. */
  redirectUris?: string[];
  /** Registered scopes (absent = any supported scope). */
  scopes?: string[];
}

let clientCounter = 0;

/** Saves a client straight into the server's store (no registration endpoint involved). */
export async function saveClient(server: StartedOAuthServer, options: SaveClientOptions = {}): Promise<TestClient> {
  clientCounter += 1;
  const authMethod = options.authMethod ?? "none";
  const secret = authMethod === "none" ? undefined : generateClientSecret();
  const redirectUris = options.redirectUris ?? [`http://127.0.0.1:${40000 + clientCounter}/callback`];
  const record: ClientRecord = {
    clientId: options.clientId ?? `test-client-${clientCounter}-${Date.now()}`,
    redirectUris,
    grantTypes: options.grantTypes ?? ["authorization_code", "refresh_token"],
    responseTypes: ["code"],
    tokenEndpointAuthMethod: authMethod,
    applicationType: "web",
    issuedAt: Math.floor(Date.now() / 1000),
    clientName: options.clientName ?? `Test client ${clientCounter}`,
  };
  if (options.scopes !== undefined) record.scopes = options.scopes;
  if (secret !== undefined) {
    record.clientSecretHash = secret.hash;
    record.clientSecretExpiresAt = 0;
  }
  await server.middleware.store.saveClient(record);
  return {
    clientId: record.clientId,
    ...(secret === undefined ? {} : { clientSecret: secret.secret }),
    redirectUri: redirectUris[0] as string,
    record,
  };
}

/** A client saved (as by `saveClient`) in `beforeAll`, after `server` (a `useOAuthServer()`) has started. */
export const useClient = (server: StartedOAuthServer, options: SaveClientOptions = {}): TestClient =>
  suiteFixture(() => saveClient(server, options));

/** Registers a client through `POST /oauth/register` (RFC 7591) with `metadata`. */
export async function registerClient(
  server: StartedOAuthServer,
  metadata: Record<string, unknown>,
): Promise<TestClient> {
  const response = await fetch(`${server.origin}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(metadata),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${JSON.stringify(body)}`);
  const clientId = body.client_id as string;
  const record = await server.middleware.store.getClient(clientId);
  if (!record) throw new Error("the registered client is not in the store");
  return {
    clientId,
    ...(typeof body.client_secret === "string" ? { clientSecret: body.client_secret } : {}),
    redirectUri: record.redirectUris[0] as string,
    record,
  };
}

// --- PKCE --------------------------------------------------------------------

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = generateCodeVerifier();
  return { verifier, challenge: computeCodeChallenge(verifier) };
}

// --- the authorization flow ---------------------------------------------------

export interface AuthorizationParams {
  pkce?: Pkce;
  /** `scope` (omitted when undefined). */
  scope?: string;
  /** Default: a random state. `null` sends none. */
  state?: string | null;
  resource?: string;
  /** Default: the client's `redirectUri`. `null` sends none. */
  redirectUri?: string | null;
  /** More (or overriding) query parameters; a value of `null` removes the parameter. */
  extra?: Record<string, string | null>;
}

/** The authorization URL for `client` (response_type=code, PKCE S256). */
export function authorizationUrl(
  server: StartedOAuthServer,
  client: Pick<TestClient, "clientId" | "redirectUri">,
  params: AuthorizationParams & { pkce: Pkce },
): URL {
  const url = new URL(`${server.origin}/oauth/authorize`);
  const q = url.searchParams;
  q.set("response_type", "code");
  q.set("client_id", client.clientId);
  const redirectUri = params.redirectUri === undefined ? client.redirectUri : params.redirectUri;
  if (redirectUri !== null) q.set("redirect_uri", redirectUri);
  q.set("code_challenge", params.pkce.challenge);
  q.set("code_challenge_method", "S256");
  if (params.scope !== undefined) q.set("scope", params.scope);
  if (params.state !== null) q.set("state", params.state ?? `state-${Math.random().toString(36).slice(2)}`);
  if (params.resource !== undefined) q.set("resource", params.resource);
  for (const [name, value] of Object.entries(params.extra ?? {})) {
    if (value === null) q.delete(name);
    else q.set(name, value);
  }
  return url;
}

export interface AuthorizeOptions extends AuthorizationParams, LoginOptions {
  /** The browser to use (keeps cookies across flows); default a new one. */
  browser?: TestBrowser;
}

/** Where the flow ended: the redirect to the client and what it carries. */
export interface AuthorizeResult extends LoginResult {
  code: string | undefined;
  state: string | undefined;
  iss: string | undefined;
  error: string | undefined;
  errorDescription: string | undefined;
  pkce: Pkce;
  browser: TestBrowser;
}

/** Runs the browser side of the flow for `client` until the redirect back to it. Throws on anything else. */
export async function authorize(
  server: StartedOAuthServer,
  client: Pick<TestClient, "clientId" | "redirectUri">,
  options: AuthorizeOptions = {},
): Promise<AuthorizeResult> {
  const browser = options.browser ?? new TestBrowser();
  const pkce = options.pkce ?? newPkce();
  const start = authorizationUrl(server, client, { ...options, pkce });
  const redirectUri = new URL(start.searchParams.get("redirect_uri") ?? client.redirectUri);
  const login = await followLogin(browser, start, redirectUri, options);
  const get = (name: string) => login.redirect.searchParams.get(name) ?? undefined;
  return {
    ...login,
    code: get("code"),
    state: get("state"),
    iss: get("iss"),
    error: get("error"),
    errorDescription: get("error_description"),
    pkce,
    browser,
  };
}

// --- the back channel --------------------------------------------------------

/** How a request authenticates its client: as registered (default), or as told. */
export type ClientAuthentication =
  | { method: "registered" }
  | { method: "none" }
  | { method: "client_secret_basic" | "client_secret_post"; secret?: string };

export interface BackChannelOptions {
  auth?: ClientAuthentication;
  /** Extra headers (e.g. a different content type). */
  headers?: Record<string, string>;
  /** Send this raw body instead of the form. */
  rawBody?: string;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body (`undefined` when empty). */
  body: Record<string, unknown> | undefined;
}

/** POSTs a form to `path`, authenticating `client`. */
export async function backChannelRequest(
  server: StartedOAuthServer,
  path: string,
  client: Pick<TestClient, "clientId" | "clientSecret" | "record">,
  params: Record<string, string>,
  options: BackChannelOptions = {},
): Promise<JsonResponse> {
  const form = new URLSearchParams(params);
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", ...options.headers };
  const requested = options.auth ?? { method: "registered" };
  const method = requested.method === "registered" ? client.record.tokenEndpointAuthMethod : requested.method;
  const secret = ("secret" in requested ? requested.secret : undefined) ?? client.clientSecret ?? "";
  if (method === "client_secret_basic") {
    const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
    headers.authorization = `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(secret)}`).toString("base64")}`;
  } else {
    form.set("client_id", client.clientId);
    if (method === "client_secret_post") form.set("client_secret", secret);
  }
  const response = await fetch(`${server.origin}${path}`, {
    method: "POST",
    headers,
    body: options.rawBody ?? form.toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** `POST /oauth/token` with `params`. */
export const tokenRequest = (
  server: StartedOAuthServer,
  client: Pick<TestClient, "clientId" | "clientSecret" | "record">,
  params: Record<string, string>,
  options?: BackChannelOptions,
): Promise<JsonResponse> => backChannelRequest(server, "/oauth/token", client, params, options);

/** Redeems `code` (grant_type=authorization_code). */
export function exchangeCode(
  server: StartedOAuthServer,
  client: TestClient,
  /** `redirectUri`: default the client's; `null` sends none. */
  params: { code: string; verifier: string; redirectUri?: string | null; resource?: string },
  options?: BackChannelOptions,
): Promise<JsonResponse> {
  const redirectUri = params.redirectUri === undefined ? client.redirectUri : params.redirectUri;
  return tokenRequest(
    server,
    client,
    {
      grant_type: "authorization_code",
      code: params.code,
      code_verifier: params.verifier,
      ...(redirectUri === null ? {} : { redirect_uri: redirectUri }),
      ...(params.resource === undefined ? {} : { resource: params.resource }),
    },
    options,
  );
}

/** Refreshes (grant_type=refresh_token), optionally narrowing `scope`. */
export function refresh(
  server: StartedOAuthServer,
  client: Pick<TestClient, "clientId" | "clientSecret" | "record">,
  refreshToken: string,
  params: { scope?: string; resource?: string } = {},
  options?: BackChannelOptions,
): Promise<JsonResponse> {
  return tokenRequest(server, client, { grant_type: "refresh_token", refresh_token: refreshToken, ...params }, options);
}

/** `POST /oauth/revoke` (RFC 7009). */
export function revoke(
  server: StartedOAuthServer,
  client: Pick<TestClient, "clientId" | "clientSecret" | "record">,
  token: string,
  hint?: "access_token" | "refresh_token",
  options?: BackChannelOptions,
): Promise<JsonResponse> {
  return backChannelRequest(
    server,
    "/oauth/revoke",
    client,
    { token, ...(hint === undefined ? {} : { token_type_hint: hint }) },
    options,
  );
}

/** A successful token response. */
export interface Tokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

/** The whole flow: a client (saved unless given), authorization, code exchange. Throws unless it all succeeds. */
export async function obtainTokens(
  server: StartedOAuthServer,
  options: AuthorizeOptions & { client?: TestClient } = {},
): Promise<{ client: TestClient; tokens: Tokens; authorization: AuthorizeResult }> {
  const client = options.client ?? (await saveClient(server));
  const authorization = await authorize(server, client, options);
  if (authorization.code === undefined) {
    throw new Error(`no code: ${authorization.error} ${authorization.errorDescription ?? ""}`);
  }
  const response = await exchangeCode(server, client, {
    code: authorization.code,
    verifier: authorization.pkce.verifier,
    redirectUri: options.redirectUri === undefined ? client.redirectUri : options.redirectUri,
  });
  if (response.status !== 200)
    throw new Error(`token request failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { client, tokens: response.body as unknown as Tokens, authorization };
}

/** A CORS preflight: `OPTIONS url` asking for `method`, with `headers` (`origin`, `access-control-request-headers`). */
export const preflight = (url: string, method: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: "OPTIONS", headers: { "access-control-request-method": method, ...headers } });

/** The payload of a JWT, unverified (for assertions). */
export function jwtPayload(token: string): Record<string, unknown> {
  const [, payload = ""] = token.split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}
