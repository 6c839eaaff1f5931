/**
 * OAuth error values and their wire forms. Every OAuth error code, HTTP
 * status, `WWW-Authenticate` challenge and error redirect this package answers
 * with is decided here, nowhere else: endpoints throw these values, and one
 * function turns whatever was thrown into a response.
 *
 * - Token and revocation endpoints: RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8707 §2.
 * - Authorization endpoint: RFC 6749 §4.1.2.1 (redirect with `error`, `state`,
 *   `iss` per RFC 9207), RFC 8707.
 * - Resource server: RFC 6750 §3 with RFC 9728 `resource_metadata`.
 * - Dynamic client registration: RFC 7591 §3.2.2.
 * - Client ID Metadata Documents: `ClientMetadataError` (shown at the
 *   authorization endpoint, `invalid_client` at the token endpoint).
 */
import { TokenStoreError } from "./store/errors.js";

/** Error codes of the token endpoint (RFC 6749 §5.2) and the revocation endpoint (RFC 7009 §2.2.1). */
export type TokenErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  /** RFC 8707: the `resource` parameter names something we do not serve. */
  | "invalid_target"
  /** RFC 7009: the revocation endpoint does not revoke this kind of token. */
  | "unsupported_token_type";

/** Error codes of the authorization endpoint (RFC 6749 §4.1.2.1, RFC 8707). */
export type AuthorizeErrorCode =
  | "invalid_request"
  | "unauthorized_client"
  | "access_denied"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_target"
  | "server_error"
  | "temporarily_unavailable";

/** Error codes a resource server puts in its `WWW-Authenticate: Bearer` challenge (RFC 6750 §3.1). */
export type ResourceErrorCode = "invalid_request" | "invalid_token" | "insufficient_scope";

/** Error codes of the registration endpoint (RFC 7591 §3.2.2). */
export type RegistrationErrorCode =
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | "invalid_software_statement"
  | "unapproved_software_statement";

/** Which check an access token failed (see `verifyAccessToken`). */
export type TokenCheck =
  | "malformed"
  | "alg"
  | "typ"
  | "kid"
  | "signature"
  | "iss"
  | "aud"
  | "exp"
  | "nbf"
  | "claims"
  | "revoked";

/** The JSON body of an OAuth error response. */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

/** What to send for an error: status, headers (lower-case names) and, when there is one, a JSON body. */
export interface OAuthErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: OAuthErrorBody | undefined;
}

/**
 * The base of every OAuth error. Its `description` goes on the wire as
 * `error_description`, so it must say what is wrong in terms the client can
 * act on, and must never contain a token, code, secret or key.
 */
export abstract class OAuthError extends Error {
  /** `error_description`, restricted to the characters RFC 6749 allows there. */
  readonly description: string | undefined;

  protected constructor(code: string | undefined, description: string | undefined) {
    const clean = description === undefined ? undefined : sanitizeDescription(description);
    super(clean === undefined ? (code ?? "unauthorized") : `${code ?? "unauthorized"}: ${clean}`);
    this.name = new.target.name;
    this.description = clean;
  }
}

/**
 * An error of the token endpoint or the revocation endpoint. `invalid_client`
 * is answered 401; when the client tried HTTP Basic authentication the answer
 * carries a `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2).
 */
export class TokenEndpointError extends OAuthError {
  readonly code: TokenErrorCode;
  /** The client sent `Authorization: Basic …` (decides the `invalid_client` challenge). */
  readonly basicAuthAttempted: boolean;

  constructor(code: TokenErrorCode, description?: string, options: { basicAuthAttempted?: boolean } = {}) {
    super(code, description);
    this.code = code;
    this.basicAuthAttempted = options.basicAuthAttempted ?? false;
  }
}

/**
 * An error of the authorization endpoint. Once the redirect URI is trusted it
 * goes back to the client as a redirect (`authorizationErrorRedirect`); before
 * that, it is shown to the user and never redirected.
 */
export class AuthorizationEndpointError extends OAuthError {
  readonly code: AuthorizeErrorCode;

  constructor(code: AuthorizeErrorCode, description?: string) {
    super(code, description);
    this.code = code;
  }
}

/**
 * Too many requests from one client address to one endpoint: HTTP 429 with
 * `Retry-After` (RFC 6585). OAuth has no error code for this; the body uses
 * `temporarily_unavailable`, the closest registered one.
 */
export class RateLimitedError extends OAuthError {
  readonly code = "temporarily_unavailable";
  /** Seconds until the window resets. */
  readonly retryAfter: number;

  constructor(retryAfter: number) {
    super("temporarily_unavailable", `Too many requests; try again in ${retryAfter} seconds`);
    this.retryAfter = retryAfter;
  }
}

/**
 * A resource server's refusal, answered with `WWW-Authenticate: Bearer`.
 * `code` is `undefined` when the request carried no credentials at all: RFC
 * 6750 §3.1 says the challenge then has no `error` attribute.
 */
export class ResourceServerError extends OAuthError {
  readonly code: ResourceErrorCode | undefined;
  /** Scopes to name in the challenge: those needed for the request (the step-up hint). */
  readonly scope: readonly string[] | undefined;
  /** For `invalid_token`: which check the token failed. */
  readonly check: TokenCheck | undefined;

  constructor(
    code: ResourceErrorCode | undefined,
    description?: string,
    options: { scope?: readonly string[]; check?: TokenCheck } = {},
  ) {
    super(code, description);
    this.code = code;
    this.scope = options.scope;
    this.check = options.check;
  }
}

/** An error of the dynamic client registration endpoint (RFC 7591 §3.2.2). */
export class RegistrationError extends OAuthError {
  readonly code: RegistrationErrorCode;

  constructor(code: RegistrationErrorCode, description?: string) {
    super(code, description);
    this.code = code;
  }
}

/**
 * Why a client id that is an `https` URL (a Client ID Metadata Document,
 * draft-ietf-oauth-client-id-metadata-document) could not be used:
 *
 * - `invalid_client_id_url`: the URL breaks the draft's rules (https, a path,
 *   no dot segments, fragment or credentials, canonical form, bounded length);
 * - `refused_address`: its host is not a public address (SSRF protection:
 *   private, loopback, link-local, … after DNS resolution), or does not resolve;
 * - `fetch_failed`: no TLS connection or no complete answer;
 * - `redirect`: the document URL answered with a redirect (never followed);
 * - `http_status`: any other status than 200;
 * - `content_type`: not `application/json` (or `application/<x>+json`);
 * - `too_large`: larger than the size limit;
 * - `timeout`: not complete within the time limit;
 * - `invalid_json`: not a JSON object;
 * - `client_id_mismatch`: its `client_id` is not exactly the URL it came from;
 * - `invalid_document`: required metadata missing or invalid (`client_name`,
 *   `redirect_uris`, …), or a shared secret in the document;
 * - `unsupported_auth_method`: a `token_endpoint_auth_method` other than `none`
 *   (`private_key_jwt` included: this server has no key-based client authentication).
 */
export type ClientMetadataProblem =
  | "invalid_client_id_url"
  | "refused_address"
  | "fetch_failed"
  | "redirect"
  | "http_status"
  | "content_type"
  | "too_large"
  | "timeout"
  | "invalid_json"
  | "client_id_mismatch"
  | "invalid_document"
  | "unsupported_auth_method";

/**
 * A client whose `client_id` is a metadata document URL cannot be used.
 * Its wire forms: at the authorization endpoint, before the redirect URI is
 * trusted, an error page with `invalid_request` (never a redirect); at the
 * token and revocation endpoints, `invalid_client` (401), which is also what
 * `oauthErrorResponse` makes of it. The description says which rule failed,
 * never what the document contained.
 */
export class ClientMetadataError extends OAuthError {
  readonly code = "invalid_client" as const;
  readonly problem: ClientMetadataProblem;

  constructor(problem: ClientMetadataProblem, description: string, options: { cause?: unknown } = {}) {
    super("invalid_client", description);
    this.problem = problem;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** The request carried no credentials: 401 with a challenge and no `error` (RFC 6750 §3.1). */
export const missingBearerToken = (scope?: readonly string[]): ResourceServerError =>
  new ResourceServerError(undefined, undefined, scope === undefined ? {} : { scope });

/** The access token failed `check`. */
export const invalidToken = (check: TokenCheck, description: string): ResourceServerError =>
  new ResourceServerError("invalid_token", description, { check });

/** The token is valid but lacks scopes: 403 naming every scope the request needs (so the client can step up). */
export const insufficientScope = (required: readonly string[], description?: string): ResourceServerError =>
  new ResourceServerError("insufficient_scope", description ?? `Requires scope: ${required.join(" ")}`, {
    scope: required,
  });

/** Where the resource server's challenge points clients (RFC 9728 §5.1). */
export interface ChallengeContext {
  /** The URL of this resource's protected resource metadata document. */
  resourceMetadata?: string;
}

/** The parts of a `WWW-Authenticate: Bearer` challenge. */
export interface BearerChallengeParams {
  resourceMetadata?: string | undefined;
  scope?: readonly string[] | undefined;
  error?: ResourceErrorCode | undefined;
  errorDescription?: string | undefined;
}

/**
 * Builds a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1),
 * e.g. `Bearer resource_metadata="https://…", scope="a b", error="invalid_token"`.
 * Attributes that are absent are left out; with none at all it is `Bearer`.
 */
export function bearerChallenge(params: BearerChallengeParams): string {
  const attributes: string[] = [];
  if (params.resourceMetadata !== undefined) attributes.push(`resource_metadata=${quote(params.resourceMetadata)}`);
  if (params.scope !== undefined && params.scope.length > 0) attributes.push(`scope=${quote(params.scope.join(" "))}`);
  if (params.error !== undefined) {
    attributes.push(`error=${quote(params.error)}`);
    if (params.errorDescription !== undefined) {
      attributes.push(`error_description=${quote(sanitizeDescription(params.errorDescription))}`);
    }
  }
  return attributes.length === 0 ? "Bearer" : `Bearer ${attributes.join(", ")}`;
}

/** The challenge sent with a 401 `invalid_client` when the client tried HTTP Basic (RFC 7617). */
export const BASIC_CHALLENGE = 'Basic realm="oauth", charset="UTF-8"';

const TOKEN_STATUS: Record<TokenErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_token_type: 400,
};

// Shown on the error page when the redirect URI cannot be trusted.
const AUTHORIZE_STATUS: Record<AuthorizeErrorCode, number> = {
  invalid_request: 400,
  unauthorized_client: 400,
  access_denied: 403,
  unsupported_response_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  server_error: 500,
  temporarily_unavailable: 503,
};

const RESOURCE_STATUS: Record<ResourceErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
};

// OAuth responses carry credentials or refusals about them: never cached (RFC 6749 §5.1).
const NO_STORE = { "cache-control": "no-store" } as const;

/**
 * Turns anything thrown while answering an OAuth request into the response to
 * send. Unknown errors become `server_error` (500) with a generic description:
 * internals never reach the client (the caller logs the original, without
 * request secrets).
 */
export function oauthErrorResponse(err: unknown, context: ChallengeContext = {}): OAuthErrorResponse {
  if (err instanceof TokenEndpointError) {
    const headers: Record<string, string> = { ...NO_STORE };
    if (err.code === "invalid_client" && err.basicAuthAttempted) headers["www-authenticate"] = BASIC_CHALLENGE;
    return { status: TOKEN_STATUS[err.code], headers, body: bodyOf(err.code, err.description) };
  }
  if (err instanceof ResourceServerError) {
    const challenge = bearerChallenge({
      resourceMetadata: context.resourceMetadata,
      scope: err.scope,
      error: err.code,
      errorDescription: err.description,
    });
    const headers = { ...NO_STORE, "www-authenticate": challenge };
    if (err.code === undefined) return { status: 401, headers, body: undefined };
    return { status: RESOURCE_STATUS[err.code], headers, body: bodyOf(err.code, err.description) };
  }
  if (err instanceof RegistrationError) {
    return { status: 400, headers: { ...NO_STORE }, body: bodyOf(err.code, err.description) };
  }
  if (err instanceof ClientMetadataError) {
    return { status: 401, headers: { ...NO_STORE }, body: bodyOf(err.code, err.description) };
  }
  if (err instanceof AuthorizationEndpointError) {
    return { status: AUTHORIZE_STATUS[err.code], headers: { ...NO_STORE }, body: bodyOf(err.code, err.description) };
  }
  if (err instanceof TokenStoreError && (err.code === "unavailable" || err.code === "lock_timeout")) {
    // The store says nothing about the request: the client should simply try again.
    return {
      status: 503,
      headers: { ...NO_STORE, "retry-after": "5" },
      body: bodyOf("temporarily_unavailable", "The authorization store is unavailable; try again shortly"),
    };
  }
  if (err instanceof RateLimitedError) {
    return {
      status: 429,
      headers: { ...NO_STORE, "retry-after": String(err.retryAfter) },
      body: bodyOf(err.code, err.description),
    };
  }
  return { status: 500, headers: { ...NO_STORE }, body: bodyOf("server_error", SERVER_ERROR_DESCRIPTION) };
}

/**
 * The redirect that reports an authorization error to the client (RFC 6749
 * §4.1.2.1): `error`, `error_description`, `state` (when the request had one)
 * and `iss` (RFC 9207), added to the redirect URI's own query. Only call it
 * once the redirect URI has been checked against the client's registration.
 * Unknown errors become `server_error` without internals.
 */
export function authorizationErrorRedirect(
  err: unknown,
  redirectUri: string,
  params: { state?: string | undefined; issuer: string },
): string {
  const code = err instanceof AuthorizationEndpointError ? err.code : "server_error";
  const description = err instanceof AuthorizationEndpointError ? err.description : SERVER_ERROR_DESCRIPTION;
  const url = new URL(redirectUri);
  url.searchParams.append("error", code);
  if (description !== undefined) url.searchParams.append("error_description", description);
  if (params.state !== undefined) url.searchParams.append("state", params.state);
  url.searchParams.append("iss", params.issuer);
  return url.href;
}

const SERVER_ERROR_DESCRIPTION = "The server encountered an unexpected error";

const bodyOf = (error: string, description: string | undefined): OAuthErrorBody =>
  description === undefined ? { error } : { error, error_description: description };

/**
 * RFC 6749 allows only %x20-21 / %x23-5B / %x5D-7E in `error_description`:
 * no quotes, backslashes, control characters or non-ASCII. Enforcing it here
 * keeps the JSON body and the challenge header well-formed whatever an
 * endpoint wrote (and rules out header injection).
 */
function sanitizeDescription(text: string): string {
  return text
    .replace(/"/g, "'")
    .replace(/\\/g, "/")
    .replace(/[^\x20-\x7e]/g, " ");
}

/** An RFC 9110 quoted-string of printable ASCII: control characters (CR/LF above all) never reach a header. */
function quote(value: string): string {
  const escaped = value.replace(/[^\x20-\x7e]/g, "").replace(/[\\"]/g, (c) => `\\${c}`);
  return `"${escaped}"`;
}
