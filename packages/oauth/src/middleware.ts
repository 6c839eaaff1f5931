/**
 * OAuthMiddleware: turns a ChukMCPServer into an OAuth 2.1 protected
 * resource with its own authorization server. Constructed from
 * `postRegisterHook`, it mounts the endpoints on the server's HTTP app and
 * installs the token verifier into the server's auth seam: nothing else to
 * wire. Configuration errors surface in the constructor (options, then the
 * environment, validated with zod); keys and the store are readied before the
 * server listens.
 */
import type { ChukMCPServer, Logger } from "@chuk-mcp/server";
import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import type { ClientMetadataFetchOptions } from "./clients/metadata-fetch.js";
import { ClientMetadataResolver } from "./clients/metadata-resolver.js";
import { type OAuthConfig, type OAuthConfigOptions, resolveOAuthConfig } from "./config.js";
import type { AuthorizationServerContext, AuthorizationServerPaths, AuthorizationServerUrls } from "./context.js";
import { authorizeRoute } from "./endpoints/authorize.js";
import { callbackRoute } from "./endpoints/callback.js";
import { consentRoutes } from "./endpoints/consent.js";
import { jwksRoute } from "./endpoints/jwks.js";
import { metadataRoutes } from "./endpoints/metadata.js";
import { warnOnPublicUrlMismatch } from "./endpoints/public-url-check.js";
import { rateLimitEndpoints } from "./endpoints/rate-limit.js";
import { registrationRoute } from "./endpoints/register.js";
import { revocationRoute } from "./endpoints/revoke.js";
import { tokenRoute } from "./endpoints/token.js";
import type { BaseOAuthProvider } from "./provider.js";
import { type RateLimitOptions, type RateLimitSettings, resolveRateLimits } from "./rate-limits.js";
import { OAuthResourceVerifier } from "./resource/verifier.js";
import { RedisSessionSharing } from "./session-sharing/redis-session-sharing.js";
import { DEFAULT_REDIS_KEY_PREFIX, RedisBackend } from "./store/redis.js";
import { TokenStore } from "./store/token-store.js";
import { createKeySet } from "./tokens/keys.js";

/** Options of `OAuthMiddleware`; every `OAuthConfigOptions` field may instead come from its environment variable. */
export interface OAuthMiddlewareOptions extends OAuthConfigOptions {
  /** The server to protect (HTTP transport). */
  mcpServer: ChukMCPServer;
  /** The upstream that knows the users. */
  provider: BaseOAuthProvider;
  /** Where the upstream redirects back to (default `/oauth/callback`); must be the path of `provider.redirectUri`. */
  callbackPath?: string;
  /** Scopes clients may request (default: none besides what tools require). */
  scopesSupported?: readonly string[];
  /** A URL with human-readable documentation, advertised in the metadata. */
  serviceDocumentation?: string;
  /** Shown to users on the consent page (default: `provider.name`). */
  providerName?: string;
  /** Where clients, grants and upstream tokens live. Default: `new TokenStore({ sandboxId })` (memory, or Redis from `SESSION_PROVIDER`). */
  tokenStore?: TokenStore;
  /** The default store's sandbox id (default: the server's name, made key-safe). */
  sandboxId?: string;
  /** `"tools"` (default): only `requiresAuth` tools need a token. `"all"`: every request to the MCP endpoint does. */
  protect?: "tools" | "all";
  /**
   * How Client ID Metadata Documents are fetched: a CA to trust (tests, a
   * development CA), a resolver, the size and time limits. Which hosts may
   * resolve to loopback or private addresses is `clientMetadataAllowedHosts`.
   */
  clientMetadataFetch?: ClientMetadataFetchOptions;
  /**
   * Per-address limits of the registration, authorization and token endpoints
   * (default `DEFAULT_RATE_LIMITS`; `OAUTH_RATE_LIMIT_*`); `false` turns them off.
   */
  rateLimits?: RateLimitOptions;
  /**
   * Share the server's legacy MCP sessions between instances through the
   * store's Redis (default `true` when the store is on Redis): any instance
   * behind a load balancer then serves any session. See docs/deployment.md.
   */
  shareMcpSessions?: boolean;
  /** The environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_PATHS: Omit<AuthorizationServerPaths, "callback"> = {
  authorize: "/oauth/authorize",
  token: "/oauth/token",
  register: "/oauth/register",
  revoke: "/oauth/revoke",
  jwks: "/oauth/jwks",
  consent: "/oauth/consent",
};

const sandboxIdOf = (name: string): string => name.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 128) || "chuk-mcp";

export class OAuthMiddleware {
  readonly config: OAuthConfig;
  readonly store: TokenStore;
  readonly provider: BaseOAuthProvider;
  /** The verifier installed into the server (also usable on its own). */
  readonly verifier: OAuthResourceVerifier;
  /** Resolves once keys and store are ready; rejects if they cannot be. */
  readonly ready: Promise<AuthorizationServerContext>;
  readonly #logger: Logger;
  readonly #sessionSharing: RedisSessionSharing | undefined;

  constructor(options: OAuthMiddlewareOptions) {
    const { mcpServer, provider } = options;
    this.#logger = mcpServer.logger.child({ component: "oauth" });
    const env = options.env ?? process.env;
    const app = mcpServer.http;
    this.config = resolveOAuthConfig(options, { env, defaultServerUrl: defaultServerUrl(env) });
    this.provider = provider;
    this.store =
      options.tokenStore ??
      new TokenStore({
        sandboxId: options.sandboxId ?? sandboxIdOf(mcpServer.info.name),
        env,
        externalTokenTtlSeconds: this.config.ttl.externalToken,
        grantRetentionSeconds: this.config.ttl.refreshToken + this.config.ttl.accessToken,
        logger: this.#logger,
      });
    const paths: AuthorizationServerPaths = { ...DEFAULT_PATHS, callback: options.callbackPath ?? "/oauth/callback" };
    checkCallback(provider, this.config.issuer, paths.callback);
    const mcpPath = mcpServer.mcpPath ?? "/mcp";
    const resource = `${this.config.issuer}${mcpPath}`;
    const urls: AuthorizationServerUrls = {
      issuer: this.config.issuer,
      protectedResourceMetadata: `${this.config.issuer}/.well-known/oauth-protected-resource${mcpPath}`,
      ...(Object.fromEntries(
        Object.entries(paths).map(([name, path]) => [name, `${this.config.issuer}${path}`]),
      ) as unknown as AuthorizationServerPaths),
    };

    const rateLimits = resolveRateLimits(options.rateLimits, env);
    this.ready = this.#prepare(options, paths, urls, resource, rateLimits);
    this.verifier = new OAuthResourceVerifier(this.ready, { protect: options.protect ?? "tools" });
    mcpServer.setAuthVerifier(this.verifier);
    mcpServer.beforeListen(this.ready);
    this.#sessionSharing = this.#shareSessions(mcpServer, options.shareMcpSessions);
    if (!app) {
      this.#logger.warn(
        "OAuth needs the HTTP transport: over STDIO there is no token to check, and protected tools refuse every call",
      );
      return;
    }
    app.register(async (scope) => this.#mount(scope, await this.ready));
  }

  async #prepare(
    options: OAuthMiddlewareOptions,
    paths: AuthorizationServerPaths,
    urls: AuthorizationServerUrls,
    resource: string,
    rateLimits: RateLimitSettings,
  ): Promise<AuthorizationServerContext> {
    const keys = await createKeySet(this.config.signing, this.#logger);
    if (this.config.clientMetadataAllowedHosts.length > 0) {
      this.#logger.warn(
        { hosts: this.config.clientMetadataAllowedHosts },
        "client metadata documents are fetched from these hosts whatever address they resolve to: for development only",
      );
    }
    return {
      config: this.config,
      keys,
      store: this.store,
      provider: this.provider,
      providerName: options.providerName ?? this.provider.name,
      scopesSupported: [...(options.scopesSupported ?? [])],
      serviceDocumentation: options.serviceDocumentation,
      resource,
      paths,
      urls,
      // From OAUTH_ENCRYPTION_KEY: consent cookies survive restarts and work on every instance.
      cookieSecret: this.store.deriveSecret("chuk-mcp oauth browser cookies v1"),
      rateLimits,
      clientMetadata: new ClientMetadataResolver({
        store: this.store,
        allowedHosts: this.config.clientMetadataAllowedHosts,
        ...(options.clientMetadataFetch === undefined ? {} : { fetch: options.clientMetadataFetch }),
        logger: this.#logger,
      }),
      logger: this.#logger,
    };
  }

  async #mount(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
    await app.register(formbody);
    warnOnPublicUrlMismatch(app, ctx);
    rateLimitEndpoints(app, ctx, ctx.rateLimits);
    await metadataRoutes(app, ctx);
    await jwksRoute(app, ctx);
    await registrationRoute(app, ctx);
    await authorizeRoute(app, ctx);
    await consentRoutes(app, ctx);
    await callbackRoute(app, ctx);
    await tokenRoute(app, ctx);
    await revocationRoute(app, ctx);
    await this.provider.mount?.(app, { issuer: ctx.config.issuer, store: ctx.store });
  }

  /** On Redis, the server's legacy sessions go there too: every instance serves every session. */
  #shareSessions(mcpServer: ChukMCPServer, wanted: boolean | undefined): RedisSessionSharing | undefined {
    const backend = this.store.backend;
    if (wanted === false || !(backend instanceof RedisBackend) || mcpServer.sessionSharing) return undefined;
    const sharing = new RedisSessionSharing({
      client: backend.client,
      keyPrefix: `${this.store.redisKeyPrefix ?? DEFAULT_REDIS_KEY_PREFIX}${this.store.sandboxId}:mcp:`,
      logger: this.#logger,
    });
    mcpServer.shareSessions(sharing);
    return sharing;
  }

  /** Closes the store if the middleware opened it, and the session bus it opened. */
  async close(): Promise<void> {
    await this.#sessionSharing?.close();
    await this.store.close();
  }
}

/** The issuer when none is configured: this server's own address (`PORT`, else 8000), on localhost. */
function defaultServerUrl(env: NodeJS.ProcessEnv): string {
  const port = Number(env.PORT) > 0 ? Number(env.PORT) : 8000;
  return `http://localhost:${port}`;
}

/**
 * The provider must send users back to our callback: a mismatch would only show up as a failed login.
 * Under an issuer with a path (behind a proxy that strips it), the callback is that path followed by `callbackPath`.
 */
function checkCallback(provider: BaseOAuthProvider, issuer: string, callbackPath: string): void {
  let path: string;
  try {
    path = new URL(provider.redirectUri).pathname;
  } catch {
    throw new TypeError(`OAuth provider "${provider.name}": redirectUri is not a URL`);
  }
  if (path !== callbackPath && path !== `${new URL(issuer).pathname.replace(/\/+$/, "")}${callbackPath}`) {
    throw new TypeError(
      `OAuth provider "${provider.name}": redirectUri ${provider.redirectUri} does not end in the callback path ${callbackPath} (expected ${issuer}${callbackPath})`,
    );
  }
}
