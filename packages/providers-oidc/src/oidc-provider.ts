/**
 * Any OpenID Connect issuer, by discovery: Auth0, Keycloak, Okta, Microsoft
 * Entra ID, Google, … The endpoints are not constants here: an OpenID
 * provider publishes them in its discovery document
 * (`<issuer>/.well-known/openid-configuration`), which is read once at
 * start-up and checked (it must name the configured issuer). What the
 * document says decides the rest: PKCE S256 when the issuer supports it, the
 * client authentication method, which default scopes to ask for, the keys and
 * algorithms ID tokens are checked with.
 *
 * The user is the ID token's `sub`, from an ID token whose signature (the
 * issuer's JWKS), `iss`, `aud`, `exp` and `nonce` are checked. Refresh goes
 * to the discovered token endpoint; revocation to the discovered revocation
 * endpoint when there is one. `end_session_endpoint` is not used: ending the
 * user's session at the issuer is not ours to do.
 */
import {
  BaseOAuthProvider,
  type IdentifyContext,
  isLoopbackHost,
  rebaseUpstreamUrl,
  type UpstreamIdentity,
  type UpstreamTokens,
} from "@chuk-mcp/oauth";
import { ConfigError } from "@chuk-mcp/server";
import * as oauth from "oauth4webapi";

/** Appended to the issuer to find its discovery document (OpenID Connect Discovery 1.0 §4). */
export const OIDC_DISCOVERY_PATH = "/.well-known/openid-configuration";

/**
 * The upstream scopes asked for when none are configured: `openid`, then
 * those of `profile`, `email` and `offline_access` that the issuer lists in
 * its `scopes_supported` (all three when it lists none but `offline_access`,
 * which some issuers reject as unknown). `offline_access` is how most issuers
 * (Auth0, Okta, Entra, Keycloak's offline tokens) hand out refresh tokens.
 */
export const DEFAULT_OIDC_SCOPES: readonly string[] = Object.freeze(["openid", "profile", "email", "offline_access"]);

/** Seconds to wait for each request to the issuer, discovery included. */
const DEFAULT_REQUEST_TIMEOUT_SECONDS = 10;

/** What we use of an issuer's discovery document (OpenID Connect Discovery 1.0 §3), with the issuer's own names. */
export interface OidcIssuerMetadata {
  /** The issuer identifier, exactly as the issuer writes it (the ID tokens' `iss`). */
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint?: string;
  revocation_endpoint?: string;
  jwks_uri?: string;
  scopes_supported?: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
}

/** Why discovery failed. */
export type OidcDiscoveryFailure =
  /** No HTTP answer: DNS, connection refused, TLS, timeout. */
  | "unreachable"
  /** An answer other than 200 (404 for a wrong issuer URL, a redirect, 5xx). */
  | "http_status"
  /** A 200 that is not a usable OpenID discovery document. */
  | "not_metadata"
  /** A discovery document that names another issuer. */
  | "issuer_mismatch";

/** The issuer's discovery document could not be read or used. Start-up stops with it. */
export class OidcDiscoveryError extends Error {
  /** The configured issuer. */
  readonly issuer: string;
  /** The discovery document's URL (where it was fetched from). */
  readonly url: string;
  readonly reason: OidcDiscoveryFailure;
  /** The HTTP status of the answer, when there was one. */
  readonly status: number | undefined;

  constructor(issuer: string, url: string, reason: OidcDiscoveryFailure, detail: string, status?: number) {
    super(
      `OpenID Connect discovery for the issuer ${issuer} failed: GET ${url} ${detail}. ` +
        "Check OIDC_ISSUER: it must be the issuer identifier exactly as your identity provider publishes it " +
        "(the URL its /.well-known/openid-configuration is under).",
    );
    this.name = "OidcDiscoveryError";
    this.issuer = issuer;
    this.url = url;
    this.reason = reason;
    this.status = status;
  }
}

/** How `discoverOidcIssuer` fetches. */
export interface OidcDiscoveryOptions {
  /** Allow `http:` URLs on loopback hosts (a local issuer in development and tests). Default `false`. */
  allowInsecureRequests?: boolean;
  /** Seconds to wait. Default 10. */
  requestTimeout?: number;
  /** Fetch from this origin instead of the issuer's, paths unchanged, and rebase the endpoints found there. */
  upstreamUrl?: string;
}

/**
 * Reads and checks an issuer's discovery document: HTTP 200, JSON, its
 * `issuer` the configured one (OpenID Connect Discovery 1.0 §4.3), an
 * authorization and a token endpoint. Throws `OidcDiscoveryError` naming the
 * URL and the HTTP status.
 */
export async function discoverOidcIssuer(
  issuer: string,
  options: OidcDiscoveryOptions = {},
): Promise<OidcIssuerMetadata> {
  const expected = new URL(issuer);
  const from = new URL(rebaseUpstreamUrl(issuer, options.upstreamUrl));
  const url = discoveryUrl(from);
  const fail = (reason: OidcDiscoveryFailure, detail: string, status?: number): OidcDiscoveryError =>
    new OidcDiscoveryError(issuer, url, reason, detail, status);
  let response: Response;
  try {
    response = await oauth.discoveryRequest(from, {
      [oauth.allowInsecureRequests]: options.allowInsecureRequests ?? false,
      signal: AbortSignal.timeout((options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000),
    });
  } catch (err) {
    throw fail("unreachable", `got no answer (${networkFailure(err)})`);
  }
  const status = response.status;
  if (status !== 200) {
    await response.body?.cancel();
    // Discovery does not follow redirects: a 301 usually means http for https, or a missing path segment.
    const location = response.headers.get("location");
    const where =
      status >= 300 && status < 400 && location !== null ? `, a redirect to ${printable(location, 200)}` : "";
    throw fail("http_status", `answered HTTP ${status}${where}`, status);
  }
  let document: oauth.AuthorizationServer;
  try {
    document = await oauth.processDiscoveryResponse(expected, response);
  } catch (err) {
    if (err instanceof oauth.OperationProcessingError && err.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
      const named = (err.cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer;
      throw fail(
        "issuer_mismatch",
        `answered with the metadata of another issuer: the document names ${printable(String(named), 200)}, ` +
          `not ${expected.href} (HTTP 200)`,
        status,
      );
    }
    const detail = err instanceof Error ? err.message : String(err);
    throw fail(
      "not_metadata",
      `answered with no usable discovery document: ${printable(detail, 200)} (HTTP 200)`,
      status,
    );
  }
  const authorization = stringField(document.authorization_endpoint);
  const token = stringField(document.token_endpoint);
  if (authorization === undefined || token === undefined) {
    const lacking = [
      authorization === undefined ? "authorization_endpoint" : "",
      token === undefined ? "token_endpoint" : "",
    ];
    throw fail(
      "not_metadata",
      `answered with a discovery document that lacks ${lacking.filter(Boolean).join(" and ")} (HTTP 200)`,
      status,
    );
  }
  const rebase = (endpoint: string | undefined) =>
    endpoint === undefined ? undefined : rebaseUpstreamUrl(endpoint, options.upstreamUrl);
  const metadata: OidcIssuerMetadata = {
    issuer: document.issuer,
    authorization_endpoint: rebase(authorization) as string,
    token_endpoint: rebase(token) as string,
  };
  const optional = {
    userinfo_endpoint: rebase(stringField(document.userinfo_endpoint)),
    revocation_endpoint: rebase(stringField(document.revocation_endpoint)),
    jwks_uri: rebase(stringField(document.jwks_uri)),
    scopes_supported: stringList(document.scopes_supported),
    code_challenge_methods_supported: stringList(document.code_challenge_methods_supported),
    token_endpoint_auth_methods_supported: stringList(document.token_endpoint_auth_methods_supported),
    id_token_signing_alg_values_supported: stringList(document.id_token_signing_alg_values_supported),
  };
  for (const [name, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(metadata, { [name]: value });
  }
  return metadata;
}

/** The discovery document's URL for an issuer (its path, then the well-known suffix). */
export function discoveryUrl(issuer: string | URL): string {
  const url = new URL(issuer);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${OIDC_DISCOVERY_PATH}`;
  url.hash = "";
  return url.href;
}

/** Options of `OidcOAuthProvider`. */
export interface OidcOAuthProviderOptions {
  /**
   * The issuer identifier (`https://YOUR-TENANT.auth0.com/`,
   * `https://keycloak.example.com/realms/YOUR-REALM`, …): its discovery
   * document must name exactly this issuer (a trailing slash after a bare
   * origin does not matter).
   */
  issuer: string;
  /** Our client id at the issuer. */
  clientId: string;
  /** Our client secret at the issuer (a confidential client). */
  clientSecret: string;
  /** Our callback URL, registered at the issuer (`…/oauth/callback`). */
  redirectUri: string;
  /** Upstream scopes; `openid` is added when missing. Default: `DEFAULT_OIDC_SCOPES`, as the issuer supports them. */
  scopes?: readonly string[];
  /**
   * Extra authorization request parameters: Auth0's `audience` (an access
   * token for your API instead of an opaque one), `prompt: "consent"` for
   * issuers that grant `offline_access` only with it (OpenID Connect Core §11).
   */
  authorizationParams?: Record<string, string>;
  /** How we authenticate at the token endpoint. Default: from `token_endpoint_auth_methods_supported`, `client_secret_basic` first. */
  clientAuthentication?: "client_secret_basic" | "client_secret_post";
  /** Shown on the consent page and in logs. Default: the issuer's host. */
  name?: string;
  /** Send every request to this origin instead, paths unchanged (a local stand-in). `http:` only on loopback. */
  upstreamUrl?: string;
  /** Allow `http:` on loopback hosts (a local issuer). Default: `true` for an `http:` issuer on loopback, else `false`. */
  allowInsecureRequests?: boolean;
  /** Seconds to wait for each request to the issuer. Default 10. */
  requestTimeout?: number;
}

/**
 * An OpenID Connect issuer as our upstream. Build it with
 * `await OidcOAuthProvider.discover(options)` (or `setupOidcOAuth`, which
 * does that before the server listens); the constructor takes metadata you
 * already have.
 *
 * ```ts
 * const provider = await OidcOAuthProvider.discover({
 *   issuer: "https://keycloak.example.com/realms/acme",
 *   clientId: "mcp-server",
 *   clientSecret: process.env.OIDC_CLIENT_SECRET ?? "",
 *   redirectUri: "https://mcp.example.com/oauth/callback",
 * });
 * ```
 */
export class OidcOAuthProvider extends BaseOAuthProvider {
  readonly name: string;
  /** The issuer identifier, as its discovery document writes it. */
  readonly issuer: string;
  /** The discovered metadata this provider uses (endpoints rebased when `upstreamUrl` is set). */
  readonly metadata: Readonly<OidcIssuerMetadata>;

  /** Discovers `options.issuer` and builds the provider. Throws `OidcDiscoveryError`, or `ConfigError` for options. */
  static async discover(options: OidcOAuthProviderOptions): Promise<OidcOAuthProvider> {
    const issuer = parseIssuer(options.issuer);
    const metadata = await discoverOidcIssuer(options.issuer, {
      allowInsecureRequests: allowsInsecure(options, issuer),
      ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
      ...(options.upstreamUrl === undefined ? {} : { upstreamUrl: options.upstreamUrl }),
    });
    return new OidcOAuthProvider(options, metadata);
  }

  /**
   * From `metadata` already discovered (see `discoverOidcIssuer`). Throws
   * `ConfigError` when the metadata is for another issuer, when the issuer
   * accepts neither `client_secret_basic` nor `client_secret_post`, or for a
   * bad option.
   */
  constructor(options: OidcOAuthProviderOptions, metadata: OidcIssuerMetadata) {
    const issuer = parseIssuer(options.issuer);
    if (new URL(metadata.issuer).href !== issuer.href) {
      throw new ConfigError(`OpenID Connect: the metadata is for the issuer ${metadata.issuer}, not ${issuer.href}`);
    }
    const codeChallengeMethods = metadata.code_challenge_methods_supported;
    super({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      redirectUri: options.redirectUri,
      scopes: upstreamScopesFor(options.scopes, metadata.scopes_supported),
      endpoints: {
        authorization: metadata.authorization_endpoint,
        token: metadata.token_endpoint,
        // The exact string: ID tokens' `iss` and the callback's RFC 9207 `iss` must equal it.
        issuer: metadata.issuer,
        ...(metadata.userinfo_endpoint === undefined ? {} : { userinfo: metadata.userinfo_endpoint }),
        ...(metadata.revocation_endpoint === undefined ? {} : { revocation: metadata.revocation_endpoint }),
        ...(metadata.jwks_uri === undefined ? {} : { jwks: metadata.jwks_uri }),
      },
      clientAuthentication:
        options.clientAuthentication ??
        clientAuthenticationFor(metadata.issuer, metadata.token_endpoint_auth_methods_supported),
      // PKCE S256 when the issuer lists it. An issuer that lists no methods at all still gets it:
      // servers ignore parameters they do not know (RFC 6749 §3.1), and several support PKCE without
      // saying so. Only one that lists methods without S256 (`plain` alone) goes without.
      pkce: codeChallengeMethods === undefined || codeChallengeMethods.includes("S256"),
      // The nonce binds the ID token to this login, which matters most where PKCE is missing.
      nonce: true,
      ...(metadata.id_token_signing_alg_values_supported === undefined
        ? {}
        : { idTokenSigningAlgorithms: metadata.id_token_signing_alg_values_supported }),
      ...(options.authorizationParams === undefined ? {} : { authorizationParams: options.authorizationParams }),
      allowInsecureRequests: allowsInsecure(options, issuer),
      ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
    });
    this.name = options.name ?? issuer.host;
    this.issuer = metadata.issuer;
    this.metadata = Object.freeze({ ...metadata });
  }

  /**
   * The user from the ID token (already checked): `sub` is the user id. Many
   * issuers put profile claims only in userinfo when an access token is
   * issued (OpenID Connect Core §5.4: Okta, oidc-provider), so when the ID
   * token has neither `name` nor `email` the userinfo endpoint fills them in
   * (its `sub` must match). A userinfo failure does not fail the login: the
   * access token may be for another audience (Auth0's `audience`, an Entra
   * API scope), and the name is only for show.
   */
  protected override async identify(tokens: UpstreamTokens, context: IdentifyContext): Promise<UpstreamIdentity> {
    const claims = context.idTokenClaims;
    if (claims === undefined) return super.identify(tokens, context);
    const fromIdToken = identityFrom(claims);
    if (fromIdToken.name !== undefined || fromIdToken.email !== undefined) return fromIdToken;
    if (this.metadata.userinfo_endpoint === undefined) return fromIdToken;
    try {
      const fromUserinfo = await super.identify(tokens, context);
      return { ...fromUserinfo, userId: fromIdToken.userId };
    } catch {
      return fromIdToken;
    }
  }
}

/**
 * @internal The issuer option as a URL: absolute, https (http on loopback), no query or fragment
 * (OpenID Connect Discovery 1.0 §2). Throws `ConfigError`.
 */
export function parseIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError("OIDC_ISSUER (issuer) must be an absolute URL such as https://idp.example.com");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError("OIDC_ISSUER (issuer) must be an https URL");
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new ConfigError("OIDC_ISSUER (issuer) must be https (http only on a loopback host, for a local issuer)");
  }
  if (url.search !== "" || url.hash !== "" || issuer.includes("#") || issuer.includes("?")) {
    throw new ConfigError("OIDC_ISSUER (issuer) must have no query or fragment");
  }
  return url;
}

/** Plain http is allowed only when asked for, or for an issuer (or stand-in) that is itself on loopback. */
function allowsInsecure(options: OidcOAuthProviderOptions, issuer: URL): boolean {
  const local = (url: URL | undefined) => url?.protocol === "http:" && isLoopbackHost(url.hostname);
  let upstream: URL | undefined;
  try {
    upstream = options.upstreamUrl === undefined ? undefined : new URL(options.upstreamUrl);
  } catch {
    upstream = undefined; // Not a URL: the request to it fails and says so.
  }
  return options.allowInsecureRequests ?? (local(issuer) || local(upstream));
}

/**
 * The client authentication method: `client_secret_basic` when the issuer
 * lists it (or lists nothing: it is the default of OpenID Connect Discovery
 * 1.0 §3), else `client_secret_post` (Entra lists only that and
 * `private_key_jwt`).
 */
function clientAuthenticationFor(
  issuer: string,
  supported: readonly string[] | undefined,
): "client_secret_basic" | "client_secret_post" {
  if (supported === undefined || supported.includes("client_secret_basic")) return "client_secret_basic";
  if (supported.includes("client_secret_post")) return "client_secret_post";
  throw new ConfigError(
    `OpenID Connect: the issuer ${issuer} accepts neither client_secret_basic nor client_secret_post at its token ` +
      `endpoint (it lists ${supported.map((m) => printable(m, 40)).join(", ") || "nothing"}); a client secret cannot be used with it`,
  );
}

/** The scopes to ask for: the configured ones with `openid` first, or the defaults the issuer supports. */
function upstreamScopesFor(
  configured: readonly string[] | undefined,
  supported: readonly string[] | undefined,
): string[] {
  if (configured !== undefined && configured.length > 0) {
    return configured.includes("openid") ? [...configured] : ["openid", ...configured];
  }
  if (supported === undefined) return DEFAULT_OIDC_SCOPES.filter((scope) => scope !== "offline_access");
  return DEFAULT_OIDC_SCOPES.filter((scope) => scope === "openid" || supported.includes(scope));
}

function identityFrom(claims: { readonly sub: string; readonly [claim: string]: unknown }): UpstreamIdentity {
  const identity: UpstreamIdentity = { userId: claims.sub };
  const name = typeof claims.name === "string" && claims.name !== "" ? claims.name : claims.preferred_username;
  if (typeof name === "string" && name !== "") identity.name = name;
  if (typeof claims.email === "string" && claims.email !== "") identity.email = claims.email;
  return identity;
}

const stringField = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined;

/** Why a request got no HTTP answer, without anything from the answer. */
function networkFailure(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timed out";
  if (err instanceof oauth.OperationProcessingError) return printable(err.message, 200);
  if (err instanceof TypeError && err.message === "fetch failed") {
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    if (typeof cause?.code === "string") return `network error ${cause.code}`;
    return "network error";
  }
  return err instanceof Error ? err.name : "error";
}

/** An issuer-supplied value made safe for a message: printable ASCII, bounded. */
const printable = (value: string, max: number): string => value.replace(/[^\x20-\x7e]/g, "?").slice(0, max);
