/**
 * The resource server: the `AuthVerifier` `OAuthMiddleware` installs into the
 * MCP server's auth gate. It accepts only our own access tokens, presented as
 * `Authorization: Bearer`, for this resource, live, and from a grant that is
 * still standing; it words every refusal as RFC 6750 / RFC 9728 say (a
 * `WWW-Authenticate: Bearer` challenge pointing at the protected resource
 * metadata); and before a protected tool runs it adds the user's fresh
 * upstream token. `AuthInfo` comes from the verified token alone: nothing in
 * a request's body can set or change it.
 */
import type { AuthFailure, AuthInfo, AuthRequest, AuthRequirement, AuthVerifier, McpHttpError } from "@chuk-mcp/server";
import type { AuthorizationServerContext } from "../context.js";
import { insufficientScope, invalidToken, ResourceServerError } from "../errors.js";
import { UpstreamError } from "../provider.js";
import { type AccessTokenClaims, GRANT_ID_CLAIM, scopesOf, verifyAccessToken } from "../tokens/access-token.js";
import { readBearerToken } from "./bearer.js";
import { DependencyUnavailableError, fromStore } from "./dependency.js";
import { resourceHttpError } from "./http-error.js";
import { UpstreamTokenKeeper } from "./upstream-token.js";

export interface OAuthResourceVerifierOptions {
  /** `"tools"`: only `requiresAuth` tools need a token. `"all"`: every request to the MCP endpoint does. */
  protect: "tools" | "all";
}

/** The grant id (`gid`) a verified token carries, if any: revoking that grant refuses the token. */
export const grantIdOf = (claims: AccessTokenClaims): string | undefined => {
  const gid = claims[GRANT_ID_CLAIM];
  return typeof gid === "string" && gid.length > 0 ? gid : undefined;
};

/** Verifies our access tokens on the MCP endpoint and words the challenges. */
export class OAuthResourceVerifier implements AuthVerifier {
  readonly protectAll: boolean;
  /** No scope is needed for the endpoint itself, even with `protect: "all"`: tools name theirs. */
  readonly requiredScopes: readonly string[] = [];
  readonly #upstream = new UpstreamTokenKeeper();
  /** The context once resolved: `challenge` is synchronous, and the gate calls it only after `verify`. */
  #ready: AuthorizationServerContext | undefined;

  constructor(
    readonly context: Promise<AuthorizationServerContext>,
    options: OAuthResourceVerifierOptions,
  ) {
    this.protectAll = options.protect === "all";
    // Kept as soon as it exists; a rejection is the middleware's to report (the server does not start).
    context.then(
      (ctx) => {
        this.#ready = ctx;
      },
      () => undefined,
    );
  }

  /**
   * The caller's `AuthInfo` from a valid Bearer token, or `undefined` when
   * the request has no credentials. Throws an `McpHttpError`: 400
   * `invalid_request` for a malformed or misplaced token, 401
   * `invalid_token` for one that is not ours, expired, for another resource,
   * or revoked (itself or its grant), 503 when the store cannot be asked.
   */
  async verify(request: AuthRequest): Promise<AuthInfo | undefined> {
    const ctx = await this.#context();
    try {
      const token = readBearerToken(request);
      if (token === undefined) return undefined;
      const claims = await verifyAccessToken(token, ctx.keys, {
        issuer: ctx.config.issuer,
        audience: ctx.resource,
        clockTolerance: ctx.config.clockTolerance,
        isRevoked: (jti) => fromStore(() => ctx.store.isAccessTokenRevoked(jti)),
      });
      const grantId = grantIdOf(claims);
      // Without a grant id the token could outlive the revocation of its grant: not one we issue.
      if (grantId === undefined) throw invalidToken("claims", "The access token names no grant");
      if (await fromStore(() => ctx.store.isGrantRevoked(grantId))) {
        throw invalidToken("revoked", "The authorization behind the access token has been revoked");
      }
      return {
        token,
        clientId: claims.client_id,
        scopes: scopesOf(claims),
        subject: claims.sub,
        expiresAt: claims.exp,
        resource: ctx.resource,
        extra: { claims },
      };
    } catch (err) {
      throw this.#refusal(ctx, err);
    }
  }

  /**
   * The refusal for a request lacking credentials (401, a challenge naming
   * the scopes needed and no error code, RFC 6750 §3.1) or scopes (403
   * `insufficient_scope` naming every scope needed, so the client can step up).
   */
  challenge(failure: AuthFailure): McpHttpError {
    const err =
      failure.kind === "insufficient_scope"
        ? insufficientScope(failure.scopes)
        : new ResourceServerError(undefined, "Authentication required: send an OAuth access token", {
            scope: failure.scopes,
          });
    return resourceHttpError(err, this.#ready?.urls.protectedResourceMetadata);
  }

  /**
   * Before a protected tool runs: the same `AuthInfo` plus the user's upstream
   * access token (`externalAccessToken`), refreshed first when it expires
   * within five minutes. Throws 401 `invalid_token` when the user must
   * authorize again (no upstream tokens, or the upstream refused to refresh;
   * the grant is then revoked), 502 when the upstream failed and the token
   * has expired, 503 when the store is unavailable.
   */
  async prepare(auth: AuthInfo, _requirement: AuthRequirement): Promise<AuthInfo> {
    const ctx = await this.#context();
    try {
      if (auth.subject === undefined) throw new ResourceServerError("invalid_token", "The access token names no user");
      const claims = auth.extra?.claims as AccessTokenClaims | undefined;
      const tokens = await this.#upstream.tokensFor(ctx, {
        userId: auth.subject,
        grantId: claims === undefined ? undefined : grantIdOf(claims),
      });
      return { ...auth, externalAccessToken: tokens.accessToken };
    } catch (err) {
      throw this.#refusal(ctx, err);
    }
  }

  async #context(): Promise<AuthorizationServerContext> {
    if (this.#ready !== undefined) return this.#ready;
    this.#ready = await this.context;
    return this.#ready;
  }

  /** The HTTP error for a failure of `verify` or `prepare`, logged without any credential. */
  #refusal(ctx: AuthorizationServerContext, err: unknown): McpHttpError {
    if (err instanceof ResourceServerError) {
      const { code, check, description } = err;
      ctx.logger.debug({ error: code ?? "no_credentials", check, description }, "access refused");
    } else if (err instanceof DependencyUnavailableError) {
      // Store errors and UpstreamError messages never hold a credential; a provider's other errors might.
      const { cause } = err;
      const quotable = err.dependency === "store" || cause instanceof UpstreamError;
      const detail = cause instanceof Error ? (quotable ? `${cause.name}: ${cause.message}` : cause.name) : undefined;
      ctx.logger.error({ dependency: err.dependency, cause: detail }, err.message);
    } else {
      ctx.logger.error({ err: err instanceof Error ? err.name : typeof err }, "token verification failed unexpectedly");
    }
    return resourceHttpError(err, ctx.urls.protectedResourceMetadata);
  }
}
