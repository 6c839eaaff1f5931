/**
 * The authentication seam. The server core knows nothing of OAuth: an
 * `AuthVerifier` (installed by `@chuk-mcp/oauth`, or your own) turns a request's
 * credentials into `AuthInfo`, which handlers see as `ctx.auth`.
 */
import { McpError, McpHttpError } from "./protocol/errors.js";

/** Who is calling, as established by the installed verifier. */
export interface AuthInfo {
  /** The bearer token presented by the client (never log it). */
  token: string;
  /** The OAuth client the token was issued to. */
  clientId: string;
  /** Scopes granted to the token. */
  scopes: string[];
  /** The end user (the token's `sub`). */
  subject?: string;
  /** Expiry, seconds since the epoch. */
  expiresAt?: number;
  /** The resource (audience) the token was issued for. */
  resource?: string;
  /** The upstream provider's access token for this user, for calling its APIs. */
  externalAccessToken?: string;
  /** Anything else the verifier wants handlers to see. */
  extra?: Record<string, unknown>;
}

/** The parts of an incoming HTTP request a verifier may look at. */
export interface AuthRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Why a request was refused before dispatch: what the verifier's `challenge` turns into a 401 or 403. */
export type AuthFailure =
  /** No credentials, for an operation that needs them: `scopes` are the ones it will need. */
  | { kind: "unauthenticated"; scopes: string[] }
  /** Valid credentials lacking `scopes` (every scope the operation needs, not only the missing ones). */
  | { kind: "insufficient_scope"; scopes: string[] };

/**
 * Establishes who is calling. The HTTP transport calls `verify` on every
 * request to the MCP endpoint, then, before dispatch, refuses a call to a
 * `requiresAuth` tool (or, with `protectAll`, any request) that lacks
 * credentials or scopes, with the error `challenge` builds. Over STDIO there
 * is no verifier: `requiresAuth` handlers refuse with JSON-RPC -32001.
 */
export interface AuthVerifier {
  /**
   * Return `undefined` when the request carries no credentials; throw (an
   * `McpHttpError` with 401 and a `WWW-Authenticate` header) when they are invalid.
   */
  verify(request: AuthRequest): Promise<AuthInfo | undefined>;
  /** The HTTP error refusing a request for `failure`. Default: 401 or 403 with `WWW-Authenticate: Bearer`. */
  challenge?(failure: AuthFailure): McpHttpError;
  /**
   * Called once credentials meet a protected tool's requirement, before its
   * handler runs: may return an enriched `AuthInfo` (e.g. with a fresh
   * upstream token) or throw an `McpHttpError` (e.g. 401 when the upstream
   * grant is gone).
   */
  prepare?(auth: AuthInfo, requirement: AuthRequirement): Promise<AuthInfo>;
  /** Require credentials for every request to the MCP endpoint, not only for protected tools. */
  readonly protectAll?: boolean;
  /** The scopes every request needs when `protectAll` is set (default none). */
  readonly requiredScopes?: readonly string[];
}

/** What a protected handler demands of the caller. */
export interface AuthRequirement {
  /** Scopes the token must carry, all of them. */
  scopes?: string[];
}

/** A context whose `auth` is known to be present (inside `requiresAuth`). */
export type Authenticated<C extends { auth?: AuthInfo | undefined }> = C & { auth: AuthInfo };

/** Marks handlers wrapped by `requiresAuth`, so transports can challenge before dispatch. */
export const AUTH_REQUIREMENT: unique symbol = Symbol.for("chuk-mcp.auth-requirement");

/** JSON-RPC code for a call refused for want of authentication or scope. */
export const AUTH_ERROR_CODE = -32001;

/** Who a piece of per-caller state belongs to: the user, else the client, else "" (anonymous). */
export const principalOf = (auth: AuthInfo | undefined): string => auth?.subject ?? auth?.clientId ?? "";

/** Which scopes of `required` the caller lacks. */
export const missingScopes = (auth: AuthInfo, required: readonly string[]): string[] =>
  required.filter((scope) => !auth.scopes.includes(scope));

/**
 * Wraps a handler so it runs only for an authenticated caller holding every
 * required scope; inside, `ctx.auth` is non-optional.
 */
export function requiresAuth<A, C extends { auth?: AuthInfo | undefined }, R>(
  requirement: AuthRequirement,
  handler: (args: A, ctx: Authenticated<C>) => R,
): ((args: A, ctx: C) => R) & { [AUTH_REQUIREMENT]: AuthRequirement } {
  const required = requirement.scopes ?? [];
  const wrapped = (args: A, ctx: C): R => {
    const auth = ctx.auth;
    if (!auth) throw new McpError(AUTH_ERROR_CODE, "Authentication required");
    const missing = missingScopes(auth, required);
    if (missing.length > 0) {
      throw new McpError(AUTH_ERROR_CODE, `Insufficient scope: requires ${missing.join(" ")}`);
    }
    return handler(args, ctx as Authenticated<C>);
  };
  return Object.assign(wrapped, { [AUTH_REQUIREMENT]: { scopes: required } });
}

/** The requirement attached by `requiresAuth`, if any. */
export function authRequirementOf(handler: unknown): AuthRequirement | undefined {
  if (typeof handler !== "function") return undefined;
  return (handler as { [AUTH_REQUIREMENT]?: AuthRequirement })[AUTH_REQUIREMENT];
}

/** The default refusal when a verifier has no `challenge`: a bare Bearer challenge. */
export function defaultAuthChallenge(failure: AuthFailure): McpHttpError {
  if (failure.kind === "insufficient_scope") {
    return new McpHttpError(403, AUTH_ERROR_CODE, `Insufficient scope: requires ${failure.scopes.join(" ")}`, {
      "www-authenticate": `Bearer error="insufficient_scope", scope="${failure.scopes.join(" ")}"`,
    });
  }
  return new McpHttpError(401, AUTH_ERROR_CODE, "Authentication required", { "www-authenticate": "Bearer" });
}
