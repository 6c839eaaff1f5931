/// <reference path="./oidc-provider.d.ts" />
/**
 * A real OpenID provider for tests: panva's oidc-provider (a certified
 * implementation) on a node:http server on 127.0.0.1, with one static
 * confidential client, two test users, and login and consent pages of our
 * own (oidc-provider's interactions are the application's to write). The
 * login page asks for a `username`; the consent page has Allow and Deny
 * buttons: a person, or `signIn()` below, answers them.
 *
 * Like Keycloak, it issues a refresh token to every client allowed the
 * refresh_token grant (oidc-provider's default wants `offline_access` and
 * `prompt=consent`, see `issueRefreshToken`). It counts refreshes and records
 * how the client authenticated at the token endpoint.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type ClientLike, type Interaction, type ProviderContext } from "oidc-provider";

/** A user of the test issuer: `username` is typed at login; `sub` is what the ID token says. */
export interface TestAccount {
  username: string;
  sub: string;
  name: string;
  email: string;
}

export const ACCOUNTS: readonly TestAccount[] = [
  { username: "ada", sub: "248289761001-ada", name: "Ada Lovelace", email: "ada@example.com" },
  { username: "grace", sub: "248289761002-grace", name: "Grace Hopper", email: "grace@example.com" },
];

export interface TestIssuerOptions {
  /** Our callback(s), registered as the client's redirect URIs. */
  redirectUris: string[];
  /** The issuer identifier (default `http://127.0.0.1:<port>`); another value serves the issuer under that name. */
  issuer?: string;
  /** Listen here (default a free port). */
  port?: number;
  /** Token endpoint authentication methods the issuer accepts (default basic and post). */
  clientAuthMethods?: string[];
  /** How the client is registered to authenticate (default `client_secret_basic`). */
  tokenEndpointAuthMethod?: string;
  /** The client's ID token signing algorithm (default RS256). */
  idTokenSigningAlg?: string;
  /** Seconds an access token lives, by grant (default 3600). */
  accessTokenTtl?: (grantType: string) => number;
  /**
   * Show the consent page (default `true`). Without it the user's consent is
   * taken as given, as Keycloak does by default ("Consent required" off).
   */
  askConsent?: boolean;
}

/** How a token request authenticated the client: an Authorization header (`basic`), or not (`body`). */
export type TokenRequestAuth = "basic" | "body";

export interface TestIssuer {
  /** The issuer identifier. */
  issuer: string;
  /** Where it listens: `http://127.0.0.1:<port>`. */
  origin: string;
  clientId: string;
  clientSecret: string;
  provider: Provider;
  /** Refresh token grants answered successfully. */
  readonly refreshes: number;
  /** How each token endpoint request (code, refresh) authenticated, in order. */
  readonly tokenRequests: TokenRequestAuth[];
  close(): Promise<void>;
}

export const CLIENT_ID = "chuk-mcp-test";
export const CLIENT_SECRET = "a-client-secret-long-enough-for-hs256-0123456789";

/** Starts the issuer. */
export async function startTestIssuer(options: TestIssuerOptions): Promise<TestIssuer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = options.issuer ?? origin;
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  const ttl = options.accessTokenTtl ?? (() => 3600);
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: options.redirectUris,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? "client_secret_basic",
        ...(options.idTokenSigningAlg === undefined ? {} : { id_token_signed_response_alg: options.idTokenSigningAlg }),
      },
    ],
    clientAuthMethods: options.clientAuthMethods ?? ["client_secret_basic", "client_secret_post"],
    jwks: {
      keys: [
        { ...rsa, kid: "rs-1", use: "sig" },
        { ...ec, kid: "ec-1", use: "sig" },
      ],
    },
    cookies: { keys: ["test-issuer-cookie-key"] },
    claims: { openid: ["sub"], profile: ["name"], email: ["email", "email_verified"] },
    features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
    adapter: memoryAdapter(),
    ttl: {
      AccessToken: (ctx: ProviderContext) => ttl(String(ctx.oidc?.params?.grant_type ?? "")),
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Grant: 3600,
      RefreshToken: 86_400,
      Session: 3600,
    },
    async findAccount(_ctx: ProviderContext, sub: string) {
      const account = ACCOUNTS.find((a) => a.sub === sub);
      if (account === undefined) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, name: account.name, email: account.email, email_verified: true };
        },
      };
    },
    // Keycloak-like: a refresh token for every client allowed the grant, offline_access or not.
    async issueRefreshToken(_ctx: ProviderContext, client: ClientLike) {
      return client.grantTypeAllowed("refresh_token");
    },
    // Our login and consent pages answer at /interaction/<uid> (oidc-provider's default URL).
    interactions: { url: (_ctx: ProviderContext, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  let refreshes = 0;
  const tokenRequests: TokenRequestAuth[] = [];
  provider.on("grant.success", (ctx) => {
    if (ctx.oidc?.params?.grant_type === "refresh_token") refreshes += 1;
  });
  provider.on("server_error", (_ctx, err) => {
    console.error("test issuer server_error", err);
  });
  const callback = provider.callback();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", origin);
    if (url.pathname.startsWith("/interaction/")) {
      interaction(provider, req, res, url, options.askConsent ?? true).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    if (req.method === "POST" && url.pathname === "/token") {
      tokenRequests.push((req.headers.authorization ?? "").startsWith("Basic ") ? "basic" : "body");
    }
    callback(req, res);
  });
  return {
    issuer,
    origin,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    provider,
    get refreshes() {
      return refreshes;
    },
    tokenRequests,
    close: () => closeServer(server),
  };
}

/**
 * oidc-provider's storage for this issuer alone (its built-in one is shared by
 * every provider in the process, and warns): models by id, expiry ignored.
 */
function memoryAdapter() {
  type Payload = Record<string, unknown> & { uid?: string; grantId?: string; userCode?: string; consumed?: number };
  const items = new Map<string, Payload>();
  const byGrant = new Map<string, string[]>();
  const index = new Map<string, string>();
  return class Adapter {
    constructor(private readonly model: string) {}
    private key(id: string): string {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Payload): Promise<void> {
      const key = this.key(id);
      items.set(key, payload);
      if (payload.uid !== undefined) index.set(`${this.model}:uid:${payload.uid}`, key);
      if (payload.userCode !== undefined) index.set(`${this.model}:userCode:${payload.userCode}`, key);
      if (payload.grantId !== undefined) byGrant.set(payload.grantId, [...(byGrant.get(payload.grantId) ?? []), key]);
    }
    async find(id: string): Promise<Payload | undefined> {
      return items.get(this.key(id));
    }
    async findByUid(uid: string): Promise<Payload | undefined> {
      const key = index.get(`${this.model}:uid:${uid}`);
      return key === undefined ? undefined : items.get(key);
    }
    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const key = index.get(`${this.model}:userCode:${userCode}`);
      return key === undefined ? undefined : items.get(key);
    }
    async consume(id: string): Promise<void> {
      const item = items.get(this.key(id));
      if (item !== undefined) item.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string): Promise<void> {
      items.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of byGrant.get(grantId) ?? []) items.delete(key);
      byGrant.delete(grantId);
    }
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The login page, the consent page, and what their forms post. */
async function interaction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  askConsent: boolean,
): Promise<void> {
  const [, , uid = "", action] = url.pathname.split("/");
  const details = await provider.interactionDetails(req, res);
  if (req.method === "GET" && details.prompt.name === "consent" && !askConsent) {
    await grantConsent(provider, req, res, details);
    return;
  }
  if (req.method === "GET") {
    const page =
      details.prompt.name === "login"
        ? `<h1>Sign in</h1><form method="post" action="/interaction/${uid}/login">` +
          `<input type="text" name="username" value=""><button type="submit">Sign in</button></form>`
        : `<h1>Let the MCP server use your account?</h1><form method="post" action="/interaction/${uid}/consent">` +
          `<button type="submit" name="decision" value="allow">Allow</button>` +
          `<button type="submit" name="decision" value="deny">Deny</button></form>`;
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(`<!doctype html><html><body>${page}</body></html>`);
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  if (action === "login") {
    const account = ACCOUNTS.find((a) => a.username === form.get("username"));
    const result =
      account === undefined
        ? { error: "access_denied", error_description: "unknown user" }
        : { login: { accountId: account.sub } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  if (form.get("decision") !== "allow") {
    await provider.interactionFinished(req, res, { error: "access_denied", error_description: "the user said no" });
    return;
  }
  await grantConsent(provider, req, res, details);
}

/** Grants what the provider says is missing (the requested OpenID scopes and claims) and finishes the interaction. */
async function grantConsent(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  details: Interaction,
): Promise<void> {
  const accountId = details.session?.accountId ?? "";
  const clientId = String(details.params.client_id ?? "");
  const grant =
    (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
    new provider.Grant({ accountId, clientId });
  const missing = details.prompt.details;
  if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
  const resourceScopes = (missing.missingResourceScopes ?? {}) as Record<string, string[]>;
  for (const [indicator, scopes] of Object.entries(resourceScopes)) grant.addResourceScope(indicator, scopes.join(" "));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

export interface SignInOptions {
  /** Who logs in (default "ada"). */
  username?: string;
  /** What the user answers on the consent page (default "allow"). */
  decision?: "allow" | "deny";
}

/**
 * A person at the issuer, without a browser: follows `authorizationUrl`
 * (redirects, our login form, our consent form, with a cookie jar) until the
 * redirect to `redirectUri`, which it returns.
 */
export async function signIn(authorizationUrl: string, redirectUri: string, options: SignInOptions = {}): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = new URL(authorizationUrl);
  let init: { method: string; body?: string } = { method: "GET" };
  for (let step = 0; step < 15; step++) {
    const headers: Record<string, string> = {};
    if (cookies.size > 0) headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    if (init.body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(";")[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (`${next.origin}${next.pathname}` === redirectUri) return next;
      url = next;
      init = { method: "GET" };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`HTTP ${response.status} at ${url.href}: ${html.slice(0, 500)}`);
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (action === undefined) throw new Error(`no form at ${url.href}: ${html.slice(0, 500)}`);
    url = new URL(action, url);
    init = action.endsWith("/login")
      ? { method: "POST", body: new URLSearchParams({ username: options.username ?? "ada" }).toString() }
      : { method: "POST", body: new URLSearchParams({ decision: options.decision ?? "allow" }).toString() };
  }
  throw new Error(`no redirect to ${redirectUri} after 15 steps`);
}
