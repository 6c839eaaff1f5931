/**
 * The whole authorization flow over real HTTP, without a browser, against a
 * server from `startOAuthServer()`:
 *
 * - `saveClient` / `registerClient`: a client (straight into the store, or
 *   through `POST /oauth/register`);
 * - `TestBrowser`: fetch with a cookie jar and manual redirects, as a browser
 *   would carry the consent and login cookies;
 * - `authorize`: GET the authorization URL, follow our redirects, answer the
 *   consent page (its form, CSRF token and cookie) and the development login
 *   form (`username`), and stop at the redirect to the client, returning
 *   `code`, `state`, `iss` (or `error`) and every page on the way;
 * - `tokenRequest`, `exchangeCode`, `refresh`, `revoke`: the back channel,
 *   authenticating as the client registered (or as told);
 * - `obtainTokens`: all of it in one call.
 */

import { generateClientSecret } from "../../src/clients/secret.js";
import type { ClientRecord, TokenEndpointAuthMethod } from "../../src/store/records.js";
import { computeCodeChallenge, generateCodeVerifier } from "../../src/tokens/pkce.js";
import type { StartedOAuthServer } from "./oauth-server.js";

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

// --- a browser ---------------------------------------------------------------

/** One response as the browser saw it. */
export interface BrowserResponse {
  url: URL;
  status: number;
  headers: Headers;
  /** Where a 3xx points (resolved). */
  location: URL | undefined;
  /** The body of a non-redirect response. */
  html: string;
}

/** One HTML form, as a browser would submit it. */
export interface HtmlForm {
  action: URL;
  method: string;
  /** Hidden and text inputs with their values. */
  fields: Record<string, string>;
  /** Submit buttons (name and value). */
  buttons: { name: string; value: string }[];
}

/** fetch with a cookie jar (per host; name=value only) and manual redirects. */
export class TestBrowser {
  /** host → name → value. */
  readonly cookies = new Map<string, Map<string, string>>();

  async get(url: URL | string): Promise<BrowserResponse> {
    return this.#send(new URL(url), { method: "GET" });
  }

  /** Submits `form`, pressing the button named `name` with `value` (and overriding fields with `overrides`). */
  async submit(
    form: HtmlForm,
    button?: { name: string; value: string },
    overrides: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    const fields = new URLSearchParams({ ...form.fields, ...overrides });
    if (button) fields.set(button.name, button.value);
    if (form.method !== "post") {
      const url = new URL(form.action);
      for (const [k, v] of fields) url.searchParams.set(k, v);
      return this.get(url);
    }
    return this.postForm(form.action, fields);
  }

  async postForm(url: URL | string, fields: URLSearchParams | Record<string, string>): Promise<BrowserResponse> {
    return this.#send(new URL(url), {
      method: "POST",
      body: new URLSearchParams(fields).toString(),
      contentType: "application/x-www-form-urlencoded",
    });
  }

  /** The cookie header this browser sends to `url`'s host. */
  cookieHeader(url: URL | string): string | undefined {
    const jar = this.cookies.get(new URL(url).host);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async #send(url: URL, init: { method: string; body?: string; contentType?: string }): Promise<BrowserResponse> {
    const headers: Record<string, string> = { accept: "text/html" };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    if (init.contentType) headers["content-type"] = init.contentType;
    const response = await fetch(url, {
      method: init.method,
      headers,
      redirect: "manual",
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    this.#store(url, response);
    const locationHeader = response.headers.get("location");
    const location = locationHeader === null ? undefined : new URL(locationHeader, url);
    let html = "";
    if (location === undefined) html = await response.text();
    else await response.body?.cancel();
    return { url, status: response.status, headers: response.headers, location, html };
  }

  #store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const jar = this.cookies.get(url.host) ?? new Map<string, string>();
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      this.cookies.set(url.host, jar);
    }
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#x") || entity.startsWith("#X"))
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z-]+)(?:\s*=\s*"([^"]*)")?/g)) {
    found[(m[1] as string).toLowerCase()] = decodeEntities(m[2] ?? "");
  }
  return found;
}

/** The forms of an HTML page (actions resolved against `base`). */
export function parseForms(html: string, base: URL): HtmlForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
    const form = attributes(m[1] as string);
    const fields: Record<string, string> = {};
    for (const input of (m[2] as string).matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1] as string);
      if (a.name) fields[a.name] = a.value ?? "";
    }
    const buttons = [...(m[2] as string).matchAll(/<button\b([^>]*)>/gi)]
      .map((b) => attributes(b[1] as string))
      .filter((a) => a.name !== undefined)
      .map((a) => ({ name: a.name as string, value: a.value ?? "" }));
    return { action: new URL(form.action ?? "", base), method: (form.method ?? "get").toLowerCase(), fields, buttons };
  });
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

export interface AuthorizeOptions extends AuthorizationParams {
  /** The browser to use (keeps cookies across flows); default a new one. */
  browser?: TestBrowser;
  /** The consent page's button (default "approve"). */
  decision?: "approve" | "deny";
  /** The development login's username (default "ada"). */
  username?: string;
}

/** Where the flow ended: the redirect to the client and what it carries. */
export interface AuthorizeResult {
  /** The redirect to the client's redirect URI. */
  redirect: URL;
  code: string | undefined;
  state: string | undefined;
  iss: string | undefined;
  error: string | undefined;
  errorDescription: string | undefined;
  pkce: Pkce;
  browser: TestBrowser;
  /** Every response on the way, in order. */
  responses: BrowserResponse[];
  /** The consent page, when one was shown. */
  consentPage: BrowserResponse | undefined;
  /** Whether the development login form was shown (and filled). */
  loggedIn: boolean;
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
  const responses: BrowserResponse[] = [];
  let consentPage: BrowserResponse | undefined;
  let loggedIn = false;
  const redirectBase = new URL(start.searchParams.get("redirect_uri") ?? client.redirectUri);

  let response = await browser.get(start);
  for (let step = 0; step < 20; step++) {
    responses.push(response);
    if (response.location !== undefined) {
      const next = response.location;
      if (next.origin === redirectBase.origin && next.pathname === redirectBase.pathname) {
        const p = next.searchParams;
        const get = (name: string) => p.get(name) ?? undefined;
        return {
          redirect: next,
          code: get("code"),
          state: get("state"),
          iss: get("iss"),
          error: get("error"),
          errorDescription: get("error_description"),
          pkce,
          browser,
          responses,
          consentPage,
          loggedIn,
        };
      }
      response = await browser.get(next);
      continue;
    }
    if (response.status !== 200) {
      throw new Error(`HTTP ${response.status} at ${response.url.pathname}: ${response.html.slice(0, 500)}`);
    }
    const [form] = parseForms(response.html, response.url);
    if (form === undefined) throw new Error(`a page without a form at ${response.url.pathname}`);
    if (response.url.pathname === "/oauth/consent") {
      consentPage = response;
      const decision = options.decision ?? "approve";
      response = await browser.submit(form, { name: "decision", value: decision });
    } else if ("username" in form.fields) {
      loggedIn = true;
      response = await browser.submit(
        form,
        { name: "action", value: "login" },
        { username: options.username ?? "ada" },
      );
    } else {
      throw new Error(`an unexpected form at ${response.url.pathname}`);
    }
  }
  throw new Error("the flow did not come back to the client within 20 steps");
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

/** The payload of a JWT, unverified (for assertions). */
export function jwtPayload(token: string): Record<string, unknown> {
  const [, payload = ""] = token.split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}
