/**
 * The authentication seam. The server core knows nothing of OAuth: an
 * `AuthVerifier` (installed by `@chuk-mcp/oauth`, or your own) turns a request's
 * credentials into `AuthInfo`, which handlers see as `ctx.auth`.
 */
import { McpError } from "./protocol/errors.js";

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

/**
 * Establishes who is calling. Return `undefined` when the request carries no
 * credentials; throw (an `McpHttpError` with 401/403) when they are invalid.
 */
export interface AuthVerifier {
  verify(request: AuthRequest): Promise<AuthInfo | undefined>;
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
