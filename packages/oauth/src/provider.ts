/**
 * The upstream contract: what our authorization server needs from the
 * provider that actually knows the user (Google, GitHub, a company IdP, the
 * development provider). The MCP client never talks to it; we do, on the
 * user's behalf, and keep its tokens server-side.
 *
 * `BaseOAuthProvider` is the contract. A provider that speaks plain OAuth 2.0
 * / OpenID Connect extends it with its endpoints and says how to identify the
 * user; the upstream HTTP itself is done by oauth4webapi.
 */
import type { FastifyInstance } from "fastify";
import type { JsonValue, UpstreamTokens } from "./store/records.js";

/** What we ask the upstream for when a user starts an authorization. */
export interface UpstreamAuthorizationRequest {
  /** Random and single-use: the upstream hands it back to our callback, which finds the pending authorization by it. */
  state: string;
  /** The MCP scopes the client asked for (a provider may widen its upstream scopes by them). */
  scopes: readonly string[];
}

/** Where to send the user's browser, and what to remember until the callback. */
export interface UpstreamAuthorizationStart {
  /** The upstream authorization URL (with `state`, and PKCE when the provider uses it). */
  url: string;
  /** The PKCE verifier for this request, stored server-side until the callback. */
  codeVerifier?: string;
  /** Anything else to keep until the callback (a nonce, …). */
  extra?: { [key: string]: JsonValue };
}

/** The upstream's redirect back to our callback. */
export interface UpstreamCallback {
  /** The full callback URL as received (query: `code`, `state`, or `error`). */
  url: URL;
  /** The `state` we sent (already matched to a pending authorization). */
  state: string;
  codeVerifier?: string;
  extra?: { [key: string]: JsonValue };
}

/** Who the user is at the upstream. */
export interface UpstreamIdentity {
  /** Stable and unique at this provider (OpenID `sub`, GitHub's numeric id, …): our tokens' `sub`. */
  userId: string;
  name?: string;
  email?: string;
}

/** A finished upstream authorization. */
export interface UpstreamGrant {
  identity: UpstreamIdentity;
  tokens: UpstreamTokens;
}

/** Why an upstream step failed. */
export type UpstreamErrorKind =
  /** The user (or the upstream) refused: reported to the MCP client as `access_denied`. */
  | "access_denied"
  /** The upstream no longer honours the grant (refresh token revoked or expired): the user must authorize again. */
  | "invalid_grant"
  /** Anything else: unreachable, malformed answer, misconfiguration. */
  | "upstream_error";

/** An upstream step failed. `message` is for logs and never holds a token or code. */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  constructor(kind: UpstreamErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UpstreamError";
    this.kind = kind;
  }
}

/** What a provider may use when it mounts routes of its own (the development provider does). */
export interface ProviderMountContext {
  /** Our issuer URL (no trailing slash): the base of any URL the provider serves. */
  issuer: string;
}

/** The upstream contract. */
export abstract class BaseOAuthProvider {
  /** Shown on the consent page and in logs ("Google Drive"). */
  abstract readonly name: string;
  /** Our callback URL registered at the upstream (`…/oauth/callback`). */
  abstract readonly redirectUri: string;

  /** The upstream authorization URL for one request. */
  abstract startAuthorization(request: UpstreamAuthorizationRequest): Promise<UpstreamAuthorizationStart>;

  /**
   * Handles the upstream's redirect: exchanges the code and identifies the
   * user. Throws `UpstreamError` (`access_denied` when the upstream reports
   * the user refused).
   */
  abstract finishAuthorization(callback: UpstreamCallback): Promise<UpstreamGrant>;

  /**
   * New upstream tokens from `tokens.refreshToken`. Throws
   * `UpstreamError("invalid_grant")` when the upstream refuses (the user must
   * authorize again), or when there is no refresh token.
   */
  abstract refreshTokens(tokens: UpstreamTokens): Promise<UpstreamTokens>;

  /** Revokes the user's upstream tokens, where the upstream supports it. */
  revokeTokens?(tokens: UpstreamTokens): Promise<void>;

  /** Routes the provider serves itself on our HTTP server (the development provider's `/dev-idp/*`). */
  mount?(app: FastifyInstance, context: ProviderMountContext): void | Promise<void>;
}
