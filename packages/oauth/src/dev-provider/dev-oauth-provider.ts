/**
 * DevOAuthProvider: a local upstream identity provider for development and
 * tests. It serves a login page that accepts any username (no password), its
 * own token, revocation and userinfo endpoints and a small posts API, all
 * under `/dev-idp/` on our own server, and acts as their OAuth client through
 * the same `BaseOAuthProvider` machinery (oauth4webapi, over real HTTP) that
 * real upstreams use. Upstream access tokens live ten minutes by default, so
 * refresh happens in any session longer than that.
 *
 * Mounted by `OAuthMiddleware`, it keeps its codes, tokens and revocations in
 * the middleware's token store and derives its client secret from the
 * store's encryption key: on Redis, with the same `OAUTH_ENCRYPTION_KEY`,
 * every instance behind a load balancer serves every step of its logins, and
 * a restart forgets nothing. Development only: anyone who can reach the login
 * page can be anyone.
 */
import { ConfigError } from "@chuk-mcp/server";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { normalizeIssuer } from "../config.js";
import { BaseOAuthProvider, type ProviderMountContext } from "../provider.js";
import { MemoryBackend } from "../store/memory.js";
import { generateOpaqueToken } from "../tokens/opaque.js";
import { type DevIdpLifetimes, DevIdpStore, type DevTokenCounters } from "./dev-idp-store.js";
import { DEV_IDP_PATHS, devIdpRoutes } from "./routes.js";

/** The logger the provider warns through: pino's `warn(obj, msg)` shape (a ChukMCPServer's `logger` fits). */
export interface DevProviderLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Options of `DevOAuthProvider`. */
export interface DevOAuthProviderOptions {
  /** Our server's public URL, e.g. `http://127.0.0.1:8000`: the login page and endpoints live under it, at `/dev-idp/`. */
  serverUrl: string;
  /**
   * Seconds an upstream access token lives. Default 600: short on purpose, so refresh gets exercised
   * within minutes, yet longer than the five minutes before expiry at which protected calls refresh it
   * (shorter would refresh on every call).
   */
  accessTokenTtl?: number;
  /** Whether to issue (rotating) refresh tokens. Default `true`; `false` behaves like an upstream without them. */
  refreshTokens?: boolean;
  /** Where the start-up warning goes. Default: one line on stderr. */
  logger?: DevProviderLogger;
}

/** The client id the provider uses at its own endpoints (the only client they know). */
export const DEV_CLIENT_ID = "dev";
/** The upstream scopes it asks for (the development IdP grants whatever is asked). */
const DEV_SCOPES = ["profile", "posts"];
/** Seconds an authorization code lives. */
const CODE_TTL = 60;
/** Seconds a refresh token lives (a day: long enough for any development session). */
const REFRESH_TOKEN_TTL = 86_400;
/** What the client secret is derived under (HKDF label) from the token store's encryption key. */
const CLIENT_SECRET_LABEL = "chuk-mcp dev-idp client secret v1";
/** The namespace of a provider mounted without a token store (its memory backend is its own anyway). */
const STANDALONE_SANDBOX = "dev-idp-standalone";

const optionsSchema = z.object({
  serverUrl: z.string({ error: "must be a URL string" }),
  accessTokenTtl: z
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number of seconds" })
    .positive({ error: "must be at least 1 second" })
    .optional(),
  refreshTokens: z.boolean({ error: "must be true or false" }).optional(),
  logger: z
    .custom<DevProviderLogger>((value) => typeof (value as { warn?: unknown })?.warn === "function", {
      error: "must have a warn(obj, msg) method",
    })
    .optional(),
});

const defaultLogger: DevProviderLogger = {
  warn: (_obj, msg) => console.error(`[chuk-mcp] WARNING: ${msg}`),
};

function parseOptions(options: DevOAuthProviderOptions) {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(options)"} ${i.message}`);
    throw new ConfigError(`DevOAuthProvider options: ${issues.join("; ")}`);
  }
  const serverUrl = normalizeIssuer(parsed.data.serverUrl, false, "DevOAuthProvider options: serverUrl");
  return { ...parsed.data, serverUrl };
}

/**
 * A development identity provider mounted on our own server under `/dev-idp/`:
 *
 * - `GET /dev-idp/authorize`: the login page (any username of 1–64 characters
 *   of `[A-Za-z0-9._@-]`; the user id is `dev:<username>`); `POST` issues a
 *   single-use code bound to the PKCE challenge and redirects to our callback.
 * - `POST /dev-idp/token`: `authorization_code` (PKCE checked) and rotating
 *   `refresh_token`, client authenticated by `client_secret_basic` with a
 *   secret derived from the token store's encryption key (the same on every
 *   instance sharing `OAUTH_ENCRYPTION_KEY`; random when mounted without a store).
 * - `POST /dev-idp/revoke` (RFC 7009), `GET /dev-idp/userinfo` (`sub`, `name`,
 *   `preferred_username`).
 * - `POST /dev-idp/api/posts` with `{ content }`: 201 with the post and its
 *   author; only this provider's access tokens are accepted.
 *
 * Codes, tokens and revocations live in the token store `OAuthMiddleware`
 * mounts it with (memory or Redis; only hashes of codes and tokens), so
 * instances sharing a Redis share its logins. Constructing one logs a
 * warning: it must not be used in production.
 */
export class DevOAuthProvider extends BaseOAuthProvider {
  readonly name = "Development login";
  /** Our server's public URL, as given (no trailing slash). */
  readonly serverUrl: string;
  /** `POST` here with `{ content }` and a user's upstream access token to publish a post. */
  readonly postsUrl: string;
  readonly #lifetimes: DevIdpLifetimes;
  /** Until mounted with a token store: a memory backend of its own. */
  #store: DevIdpStore;
  #clientSecret: string;
  readonly #logger: DevProviderLogger;
  /** Per process (test instrumentation), whichever store the tokens live in. */
  readonly #counters: DevTokenCounters = { authorization_code: 0, refresh_token: 0 };

  constructor(options: DevOAuthProviderOptions) {
    const parsed = parseOptions(options);
    const base = `${parsed.serverUrl}/dev-idp`;
    const clientSecret = generateOpaqueToken();
    super({
      clientId: DEV_CLIENT_ID,
      clientSecret,
      clientAuthentication: "client_secret_basic",
      redirectUri: `${parsed.serverUrl}/oauth/callback`,
      scopes: DEV_SCOPES,
      endpoints: {
        issuer: base,
        authorization: `${parsed.serverUrl}${DEV_IDP_PATHS.authorize}`,
        token: `${parsed.serverUrl}${DEV_IDP_PATHS.token}`,
        revocation: `${parsed.serverUrl}${DEV_IDP_PATHS.revoke}`,
        userinfo: `${parsed.serverUrl}${DEV_IDP_PATHS.userinfo}`,
      },
      // normalizeIssuer only lets http through for loopback hosts, which is what oauth4webapi may then call.
      allowInsecureRequests: new URL(parsed.serverUrl).protocol === "http:",
    });
    this.serverUrl = parsed.serverUrl;
    this.postsUrl = `${parsed.serverUrl}${DEV_IDP_PATHS.posts}`;
    this.#clientSecret = clientSecret;
    this.#logger = parsed.logger ?? defaultLogger;
    this.#lifetimes = {
      code: CODE_TTL,
      accessToken: parsed.accessTokenTtl ?? 600,
      refreshToken: (parsed.refreshTokens ?? true) ? REFRESH_TOKEN_TTL : undefined,
    };
    this.#store = new DevIdpStore({
      backend: new MemoryBackend(),
      sandboxId: STANDALONE_SANDBOX,
      lifetimes: this.#lifetimes,
    });
    this.#logger.warn(
      { provider: "dev", serverUrl: this.serverUrl },
      "DevOAuthProvider is a development login that accepts any username without a password: never use it in production",
    );
  }

  /**
   * How many token requests of each grant type this process's development IdP
   * has served to its (authenticated) client, successful or not: e.g. to check
   * that a session refreshed exactly once. Counted per process, not shared.
   */
  get counters(): Readonly<DevTokenCounters> {
    return Object.freeze({ ...this.#counters });
  }

  /**
   * Invalidates every upstream code and token a user (`dev:<username>`) holds
   * now, as an administrator disabling the account would: the user's next API
   * call is refused and the next refresh fails with `invalid_grant`, on every
   * instance sharing the store. Codes and tokens issued afterwards work.
   */
  async revokeUser(userId: string): Promise<void> {
    await this.#store.revokeUser(userId);
  }

  /**
   * Registers the `/dev-idp/*` routes (called by `OAuthMiddleware`). With the
   * middleware's token store in `context`, the provider keeps everything there
   * from now on and uses the client secret derived from it.
   */
  override async mount(app: FastifyInstance, context: ProviderMountContext): Promise<void> {
    if (context.store !== undefined) {
      this.#store = new DevIdpStore({
        backend: context.store.backend,
        sandboxId: context.store.sandboxId,
        lifetimes: this.#lifetimes,
      });
      this.#clientSecret = Buffer.from(context.store.deriveSecret(CLIENT_SECRET_LABEL)).toString("base64url");
      this.replaceClientSecret(this.#clientSecret);
    }
    if (new URL(context.issuer).origin !== new URL(this.serverUrl).origin) {
      this.#logger.warn(
        { provider: "dev", serverUrl: this.serverUrl, issuer: context.issuer },
        "DevOAuthProvider serverUrl and the OAuth issuer differ: the login page is served on this server, so serverUrl must reach it",
      );
    }
    await app.register(async (scope) =>
      devIdpRoutes(scope, {
        store: this.#store,
        countTokenRequest: (grant) => {
          this.#counters[grant] += 1;
        },
        clientId: DEV_CLIENT_ID,
        clientSecret: this.#clientSecret,
        redirectUri: this.redirectUri,
        issuer: `${this.serverUrl}/dev-idp`,
        authorizationUrl: `${this.serverUrl}${DEV_IDP_PATHS.authorize}`,
      }),
    );
  }
}
