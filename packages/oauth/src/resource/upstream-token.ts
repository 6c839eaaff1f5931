/**
 * The user's upstream access token, fresh, for a protected tool: read from
 * the store and, when it expires within five minutes, refreshed through the
 * provider once however many calls need it at the same moment — one flight
 * per user in this process, and the store's lock across processes (with
 * Redis), re-reading the store under the lock so a refresh another instance
 * just made is used, not repeated. An upstream that refuses the refresh
 * (`invalid_grant`) ends the user's authorization here too: the upstream
 * tokens are deleted and our grant revoked, so the MCP client's refresh
 * tokens stop working and it sends the user through the flow again.
 *
 * Upstream tokens never leave this module except as the handler's
 * `externalAccessToken`: they are not logged and never reach the client.
 */
import type { AuthorizationServerContext } from "../context.js";
import { ResourceServerError } from "../errors.js";
import { UpstreamError } from "../provider.js";
import { TokenStoreError } from "../store/errors.js";
import type { UpstreamTokens } from "../store/records.js";
import { DependencyUnavailableError, fromStore } from "./dependency.js";

/** A token expiring sooner than this (seconds) is refreshed before use. */
export const UPSTREAM_REFRESH_WINDOW_SECONDS = 300;

/** The refresh lock: held at most this long by a crashed holder, waited for at most this long. */
const REFRESH_LOCK = { ttlMs: 30_000, waitMs: 30_000 } as const;

/** What `UpstreamTokenKeeper` needs of the authorization server. */
export type UpstreamTokenContext = Pick<AuthorizationServerContext, "store" | "provider" | "providerName" | "logger">;

/** Whose upstream token to produce, and which grant of ours to end if the upstream has ended theirs. */
export interface UpstreamTokenRequest {
  /** Our tokens' `sub`: the key of the upstream tokens in the store. */
  userId: string;
  /** The `gid` of the access token in use, revoked when the upstream authorization is gone. */
  grantId: string | undefined;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Whether `tokens` must be refreshed before use (an unknown expiry never is). */
export const expiresSoon = (tokens: UpstreamTokens, now = nowSeconds()): boolean =>
  tokens.expiresAt !== undefined && tokens.expiresAt - now <= UPSTREAM_REFRESH_WINDOW_SECONDS;

const isExpired = (tokens: UpstreamTokens, now = nowSeconds()): boolean =>
  tokens.expiresAt !== undefined && tokens.expiresAt <= now;

const authorizeAgain = (description: string): ResourceServerError =>
  new ResourceServerError("invalid_token", description);

/** Keeps users' upstream tokens fresh; owns the in-process flights, so one instance per verifier. */
export class UpstreamTokenKeeper {
  readonly #flights = new Map<string, Promise<UpstreamTokens>>();

  /**
   * The user's upstream tokens, refreshed first when they expire within
   * `UPSTREAM_REFRESH_WINDOW_SECONDS`. Throws a `ResourceServerError`
   * (`invalid_token`, 401) when the user must authorize again, and a
   * `DependencyUnavailableError` when the store (503) or the upstream (502)
   * cannot serve the request.
   */
  async tokensFor(ctx: UpstreamTokenContext, request: UpstreamTokenRequest): Promise<UpstreamTokens> {
    const seen = await this.#read(ctx, request);
    if (!expiresSoon(seen)) return seen;
    const { userId } = request;
    let flight = this.#flights.get(userId);
    if (flight === undefined) {
      flight = this.#refresh(ctx, request, seen).finally(() => this.#flights.delete(userId));
      this.#flights.set(userId, flight);
    }
    return flight;
  }

  /** The stored tokens, or the end of the user's authorization when there are none (or none readable). */
  async #read(ctx: UpstreamTokenContext, request: UpstreamTokenRequest): Promise<UpstreamTokens> {
    let tokens: UpstreamTokens | undefined;
    try {
      tokens = await fromStore(() => ctx.store.getUpstreamTokens(request.userId));
    } catch (err) {
      const cause = err instanceof DependencyUnavailableError ? err.cause : undefined;
      // Sealed under another key, or not ours: as good as absent, and it will not heal by itself.
      if (
        !(cause instanceof TokenStoreError && (cause.code === "decryption_failed" || cause.code === "corrupt_record"))
      )
        throw err;
      ctx.logger.warn({ userId: request.userId, code: cause.code }, "stored upstream tokens are unreadable");
      tokens = undefined;
    }
    if (tokens !== undefined) return tokens;
    await this.#endAuthorization(ctx, request);
    throw authorizeAgain(`No ${ctx.providerName} authorization is stored for this user; authorize again`);
  }

  /** One refresh for the user, under the store's lock; the callers of this process share it. */
  async #refresh(
    ctx: UpstreamTokenContext,
    request: UpstreamTokenRequest,
    seen: UpstreamTokens,
  ): Promise<UpstreamTokens> {
    const { userId } = request;
    return fromStore(() =>
      ctx.store.withLock(`upstream-refresh:${userId}`, REFRESH_LOCK, async () => {
        const latest = await this.#read(ctx, request);
        // Refreshed by another instance while we waited for the lock: use theirs.
        if (latest.accessToken !== seen.accessToken && !isExpired(latest)) return latest;
        if (!expiresSoon(latest)) return latest;
        // Nothing to refresh with, but still usable for a few minutes: use it until it is not.
        if (latest.refreshToken === undefined && !isExpired(latest)) return latest;
        let fresh: UpstreamTokens;
        try {
          fresh = await ctx.provider.refreshTokens(latest);
        } catch (err) {
          return this.#refreshFailed(ctx, request, latest, err);
        }
        await fromStore(() => ctx.store.saveUpstreamTokens(userId, fresh));
        ctx.logger.debug({ userId }, "upstream token refreshed");
        return fresh.refreshToken === undefined && latest.refreshToken !== undefined
          ? { ...fresh, refreshToken: latest.refreshToken }
          : fresh;
      }),
    );
  }

  /** The upstream would not refresh: end the authorization (`invalid_grant`), or fall back, or report it. */
  async #refreshFailed(
    ctx: UpstreamTokenContext,
    request: UpstreamTokenRequest,
    latest: UpstreamTokens,
    err: unknown,
  ): Promise<UpstreamTokens> {
    const { userId } = request;
    // UpstreamError messages never hold a token; anything else is named, not quoted.
    const reason = err instanceof UpstreamError ? err.message : err instanceof Error ? err.name : typeof err;
    if (err instanceof UpstreamError && err.kind === "invalid_grant") {
      ctx.logger.info({ userId, reason }, "the upstream refused to refresh: ending the user's authorization");
      await fromStore(() => ctx.store.deleteUpstreamTokens(userId));
      await this.#endAuthorization(ctx, request);
      throw authorizeAgain(`The ${ctx.providerName} authorization has expired; authorize again`);
    }
    if (!isExpired(latest)) {
      ctx.logger.warn({ userId, reason }, "upstream refresh failed; using the current token until it expires");
      return latest;
    }
    ctx.logger.warn({ userId, reason }, "upstream refresh failed and the upstream token has expired");
    throw new DependencyUnavailableError(
      "upstream",
      `${ctx.providerName} could not refresh the authorization; try again later`,
      { cause: err },
    );
  }

  /** Revokes our grant, so the MCP client cannot refresh its way back in without the upstream. */
  async #endAuthorization(ctx: UpstreamTokenContext, request: UpstreamTokenRequest): Promise<void> {
    if (request.grantId !== undefined) await fromStore(() => ctx.store.revokeGrant(request.grantId as string));
  }
}
