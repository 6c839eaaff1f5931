/**
 * The upstream contract: what our authorization server needs from the
 * provider that actually knows the user (Google, GitHub, a company IdP, the
 * development provider). The MCP client never talks to it; we do, on the
 * user's behalf, and keep its tokens server-side.
 *
 * `BaseOAuthProvider` is the contract and a working OAuth 2.0 / OpenID
 * Connect client: a provider passes its endpoints and credentials to the
 * constructor and, unless the upstream has an OpenID userinfo endpoint, says
 * how to identify the user. The upstream HTTP itself is done by oauth4webapi;
 * every failure becomes an `UpstreamError` whose message names the step and
 * the HTTP status, never a token, code or secret.
 */
import { ConfigError } from "@chuk-mcp/server";
import type { FastifyInstance } from "fastify";
import * as oauth from "oauth4webapi";
import { z } from "zod";
import { isLoopbackHost } from "./config.js";
import type { JsonValue, UpstreamTokens } from "./store/records.js";
import type { TokenStore } from "./store/token-store.js";

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
  /**
   * The authorization server's token store (given by `OAuthMiddleware`): a provider that keeps
   * state of its own may keep it there, so every instance on the same store shares it.
   */
  store?: TokenStore;
}

/** How we authenticate to the upstream's token and revocation endpoints. */
export type UpstreamClientAuthentication = "client_secret_basic" | "client_secret_post" | "none";

/** The upstream's endpoints (absolute URLs). */
export interface UpstreamEndpoints {
  /** Where the user's browser is sent to log in. */
  authorization: string;
  /** Where codes and refresh tokens are exchanged. */
  token: string;
  /** OpenID Connect userinfo: when set, the default `identify()` reads the user from it. */
  userinfo?: string;
  /** RFC 7009 revocation: when set, `revokeTokens()` revokes there. */
  revocation?: string;
  /**
   * The upstream's issuer identifier, checked against an ID token's `iss` and
   * an RFC 9207 `iss` callback parameter. Default: the origin of `authorization`.
   */
  issuer?: string;
  /**
   * The upstream's JSON Web Key Set (OpenID `jwks_uri`): when set, the signature of an ID token
   * returned by the code exchange is verified with these keys, besides its claims.
   */
  jwks?: string;
}

/** Options of `BaseOAuthProvider`, validated by its constructor. */
export interface BaseOAuthProviderOptions {
  /** Our client id at the upstream. */
  clientId: string;
  /** Our client secret at the upstream (confidential clients). */
  clientSecret?: string;
  /** Our callback URL, registered at the upstream (`…/oauth/callback`). */
  redirectUri: string;
  /** Upstream scopes to ask for (the upstream's names, not our MCP scopes). */
  scopes: readonly string[];
  endpoints: UpstreamEndpoints;
  /** Default: `client_secret_basic` with a `clientSecret`, `none` without. */
  clientAuthentication?: UpstreamClientAuthentication;
  /** PKCE (S256) on the upstream leg. Default `true`; turn off only for upstreams that reject it. */
  pkce?: boolean;
  /**
   * Extra authorization request parameters (Google: `{ access_type: "offline", prompt: "consent" }`).
   * The parameters the provider sets itself (`response_type`, `client_id`, `redirect_uri`, `state`,
   * `scope`, `code_challenge`, `code_challenge_method`) cannot be overridden.
   */
  authorizationParams?: Record<string, string>;
  /** Allow `http:` endpoints on loopback hosts (a local stand-in upstream in development and tests). Default `false`. */
  allowInsecureRequests?: boolean;
  /** Seconds to wait for each upstream HTTP request. Default 10. */
  requestTimeout?: number;
  /**
   * Send an OpenID Connect `nonce` with each authorization request and require the code
   * exchange to return an ID token carrying it. Default `false`.
   */
  nonce?: boolean;
  /**
   * The JWS algorithms the upstream signs ID tokens with (OpenID `id_token_signing_alg_values_supported`).
   * Default: RS256 only, OpenID Connect's default.
   */
  idTokenSigningAlgorithms?: readonly string[];
}

/** The grant of a token request. */
export type UpstreamGrantType = "authorization_code" | "refresh_token";

/** Extra headers and form parameters for a token request (see `BaseOAuthProvider.tokenRequestExtras`). */
export interface UpstreamRequestExtras {
  headers?: Record<string, string>;
  parameters?: Record<string, string>;
}

/** What `identify()` gets besides the tokens. */
export interface IdentifyContext {
  /**
   * The ID token's claims when the upstream returned one (OpenID Connect), checked by
   * oauth4webapi (`iss`, `aud`, `exp`, `iat`, `nonce` with the `nonce` option). Its signature is
   * checked only with `endpoints.jwks`: otherwise the token came straight from the token endpoint
   * over TLS, which OpenID Connect Core §3.1.3.7 accepts.
   */
  idTokenClaims?: { readonly sub: string; readonly [claim: string]: unknown };
}

/** The parameters of an authorization request that the provider sets itself. */
const RESERVED_AUTHORIZATION_PARAMS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "state",
  "scope",
  "code_challenge",
  "code_challenge_method",
];

const DEFAULT_REQUEST_TIMEOUT_SECONDS = 10;

const nonEmpty = (what: string) => z.string({ error: `must be ${what}` }).min(1, { error: "must not be empty" });

const absoluteUrl = nonEmpty("a URL").refine((value) => parseHttpUrl(value) !== undefined, {
  error: "must be an absolute http(s) URL without a fragment",
});

const optionsSchema = z
  .object({
    clientId: nonEmpty("a string"),
    clientSecret: nonEmpty("a string").optional(),
    redirectUri: absoluteUrl,
    scopes: z.array(
      nonEmpty("a string").refine((scope) => !/\s/.test(scope), { error: "must not contain spaces" }),
      { error: "must be an array of scope names" },
    ),
    endpoints: z.object(
      {
        authorization: absoluteUrl,
        token: absoluteUrl,
        userinfo: absoluteUrl.optional(),
        revocation: absoluteUrl.optional(),
        issuer: absoluteUrl.optional(),
        jwks: absoluteUrl.optional(),
      },
      { error: "must be an object with the upstream's authorization and token URLs" },
    ),
    clientAuthentication: z
      .enum(["client_secret_basic", "client_secret_post", "none"], {
        error: "must be client_secret_basic, client_secret_post or none",
      })
      .optional(),
    pkce: z.boolean({ error: "must be true or false" }).optional(),
    authorizationParams: z.record(z.string(), z.string({ error: "must be a string" })).optional(),
    allowInsecureRequests: z.boolean({ error: "must be true or false" }).optional(),
    requestTimeout: z
      .number({ error: "must be a number of seconds" })
      .positive({ error: "must be positive" })
      .optional(),
    nonce: z.boolean({ error: "must be true or false" }).optional(),
    idTokenSigningAlgorithms: z
      .array(nonEmpty("a string"), { error: "must be an array of JWS algorithm names" })
      .min(1, { error: "must not be empty" })
      .optional(),
  })
  .superRefine((options, ctx) => {
    const endpoints = options.endpoints as Record<string, string | undefined>;
    for (const name of ["authorization", "token", "userinfo", "revocation", "jwks"]) {
      const url = parseHttpUrl(endpoints[name]);
      if (url === undefined || url.protocol === "https:") continue;
      if (options.allowInsecureRequests !== true || !isLoopbackHost(url.hostname)) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", name],
          message: "must be https (http only with allowInsecureRequests: true, on a loopback host)",
        });
      }
    }
    const auth = options.clientAuthentication;
    if ((auth === "client_secret_basic" || auth === "client_secret_post") && options.clientSecret === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["clientSecret"],
        message: `is required with clientAuthentication ${auth}`,
      });
    }
    if (auth === "none" && options.clientSecret !== undefined) {
      ctx.addIssue({ code: "custom", path: ["clientSecret"], message: "is set but clientAuthentication is none" });
    }
    for (const name of Object.keys(options.authorizationParams ?? {})) {
      if (RESERVED_AUTHORIZATION_PARAMS.includes(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["authorizationParams", name],
          message: "is set by the provider itself and cannot be overridden",
        });
      }
    }
  });

/**
 * The upstream contract, and a working OAuth 2.0 / OpenID Connect client for
 * it. A subclass names itself and passes its endpoints and credentials:
 *
 * ```ts
 * class AcmeOAuthProvider extends BaseOAuthProvider {
 *   readonly name = "Acme";
 *   constructor(options: { clientId: string; clientSecret: string; redirectUri: string }) {
 *     super({
 *       ...options,
 *       scopes: ["profile"],
 *       endpoints: { authorization: "https://acme.example/oauth/authorize", token: "https://acme.example/oauth/token" },
 *     });
 *   }
 *   protected override async identify(tokens: UpstreamTokens): Promise<UpstreamIdentity> {
 *     const me = await this.getJson("https://api.acme.example/v1/me", tokens);
 *     return { userId: String(me.id) };
 *   }
 * }
 * ```
 *
 * What it does: the authorization URL (`state`, PKCE S256, scopes, extra
 * parameters), the callback check and code exchange, refresh (keeping the
 * refresh token when the upstream does not rotate it), revocation (RFC 7009)
 * and, when `endpoints.userinfo` is set or an ID token is returned, the
 * user's identity. Customisation points, all optional: `identify`,
 * `upstreamScopes`, `tokenRequestExtras`, `tokenErrorKind`; `getJson` calls an
 * upstream API with the user's access token.
 *
 * Nothing here logs: messages of the `UpstreamError`s it throws name the
 * step that failed and the HTTP status, never a token, code or secret.
 */
export abstract class BaseOAuthProvider {
  /** Shown on the consent page and in logs ("Google Drive"). */
  abstract readonly name: string;
  /** Our callback URL registered at the upstream (`…/oauth/callback`). */
  readonly redirectUri: string;
  /** Our client id at the upstream. */
  protected readonly clientId: string;
  /** The upstream scopes asked for by default. */
  protected readonly scopes: readonly string[];
  /** The upstream's endpoints, as configured. */
  protected readonly endpoints: Readonly<UpstreamEndpoints>;
  /** The upstream as oauth4webapi sees it (for subclasses that make further oauth4webapi calls). */
  protected readonly authorizationServer: oauth.AuthorizationServer;
  /** This client as oauth4webapi sees it. */
  protected readonly client: oauth.Client;
  #clientAuth: oauth.ClientAuth;
  readonly #clientAuthMethod: UpstreamClientAuthentication;
  readonly #pkce: boolean;
  readonly #authorizationParams: Readonly<Record<string, string>>;
  readonly #allowInsecureRequests: boolean;
  readonly #timeoutMs: number;
  readonly #nonce: boolean;

  /** Throws `ConfigError` naming each bad option. */
  constructor(options: BaseOAuthProviderOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      // Only paths and our own messages: never the input (it may be a secret).
      const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(options)"} ${i.message}`);
      throw new ConfigError(`${new.target.name} options: ${issues.join("; ")}`);
    }
    const o = parsed.data;
    this.redirectUri = o.redirectUri;
    this.clientId = o.clientId;
    this.scopes = Object.freeze([...o.scopes]);
    this.endpoints = Object.freeze({ ...o.endpoints });
    this.#pkce = o.pkce ?? true;
    this.#authorizationParams = Object.freeze({ ...o.authorizationParams });
    this.#allowInsecureRequests = o.allowInsecureRequests ?? false;
    this.#timeoutMs = (o.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000;
    this.#nonce = o.nonce ?? false;
    this.authorizationServer = {
      issuer: o.endpoints.issuer ?? new URL(o.endpoints.authorization).origin,
      authorization_endpoint: o.endpoints.authorization,
      token_endpoint: o.endpoints.token,
      ...(o.endpoints.userinfo === undefined ? {} : { userinfo_endpoint: o.endpoints.userinfo }),
      ...(o.endpoints.revocation === undefined ? {} : { revocation_endpoint: o.endpoints.revocation }),
      ...(o.endpoints.jwks === undefined ? {} : { jwks_uri: o.endpoints.jwks }),
      ...(o.idTokenSigningAlgorithms === undefined
        ? {}
        : { id_token_signing_alg_values_supported: [...o.idTokenSigningAlgorithms] }),
    };
    this.client = { client_id: o.clientId };
    const method = o.clientAuthentication ?? (o.clientSecret === undefined ? "none" : "client_secret_basic");
    this.#clientAuthMethod = method;
    this.#clientAuth = clientAuthOf(method, o.clientSecret);

    // Fail at start-up, not at the first login, when nothing could say who the user is.
    const overridesIdentify = this.identify !== BaseOAuthProvider.prototype.identify;
    if (!overridesIdentify && o.endpoints.userinfo === undefined && !o.scopes.includes("openid")) {
      throw new ConfigError(
        `${new.target.name}: cannot identify users: set endpoints.userinfo, ask for the openid scope, or override identify()`,
      );
    }
  }

  /**
   * The upstream authorization URL for one request: `response_type=code`,
   * `client_id`, `redirect_uri`, `state`, `scope` (from `upstreamScopes`),
   * PKCE S256 unless turned off, and `authorizationParams`.
   */
  async startAuthorization(request: UpstreamAuthorizationRequest): Promise<UpstreamAuthorizationStart> {
    const url = new URL(this.endpoints.authorization);
    for (const [name, value] of Object.entries(this.#authorizationParams)) url.searchParams.set(name, value);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", this.clientId);
    url.searchParams.set("redirect_uri", this.redirectUri);
    url.searchParams.set("state", request.state);
    const scope = this.upstreamScopes(request).join(" ");
    if (scope !== "") url.searchParams.set("scope", scope);
    // The scope we asked for: what the tokens carry when the upstream's answer leaves `scope` out (RFC 6749 §5.1).
    const extra: { [key: string]: JsonValue } = { scope };
    if (this.#nonce) {
      const nonce = oauth.generateRandomNonce();
      url.searchParams.set("nonce", nonce);
      extra.nonce = nonce;
    }
    if (!this.#pkce) return { url: url.href, extra };
    const codeVerifier = oauth.generateRandomCodeVerifier();
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
    return { url: url.href, codeVerifier, extra };
  }

  /**
   * Handles the upstream's redirect: checks it (`state`, `iss` when present),
   * exchanges the code (with the PKCE verifier) and identifies the user.
   * Throws `UpstreamError`: `access_denied` when the upstream reports the user
   * refused, `invalid_grant` when the upstream refuses the code, else `upstream_error`.
   */
  async finishAuthorization(callback: UpstreamCallback): Promise<UpstreamGrant> {
    let parameters: URLSearchParams;
    try {
      parameters = oauth.validateAuthResponse(this.authorizationServer, this.client, callback.url, callback.state);
    } catch (err) {
      if (err instanceof oauth.AuthorizationResponseError) {
        const code = printable(err.error);
        if (code === "access_denied") {
          throw new UpstreamError(
            "access_denied",
            `${this.name}: the user (or the upstream) refused the authorization`,
          );
        }
        throw new UpstreamError("upstream_error", `${this.name}: the upstream answered the authorization with ${code}`);
      }
      throw new UpstreamError("upstream_error", `${this.name}: callback check failed: ${describe(err)}`);
    }
    if (this.#pkce && callback.codeVerifier === undefined) {
      throw new UpstreamError(
        "upstream_error",
        `${this.name}: code exchange: the PKCE verifier of this authorization is missing`,
      );
    }
    const verifier = this.#pkce ? (callback.codeVerifier as string) : oauth.nopkce;
    const expectedNonce = callback.extra?.nonce;
    if (this.#nonce && typeof expectedNonce !== "string") {
      throw new UpstreamError(
        "upstream_error",
        `${this.name}: code exchange: the nonce of this authorization is missing`,
      );
    }
    const result = await this.#tokenRequest(
      "authorization_code",
      (options) =>
        oauth.authorizationCodeGrantRequest(
          this.authorizationServer,
          this.client,
          this.#clientAuth,
          parameters,
          this.redirectUri,
          verifier,
          options,
        ),
      (response) => this.#processCodeResponse(response, this.#nonce ? (expectedNonce as string) : undefined),
    );
    const requested = typeof callback.extra?.scope === "string" ? callback.extra.scope : this.scopes.join(" ");
    const tokens = tokensFrom(result, { scopes: splitScope(requested) });
    const claims = oauth.getValidatedIdTokenClaims(result);
    const identity = await this.#identifyChecked(tokens, claims === undefined ? {} : { idTokenClaims: claims });
    return { identity, tokens };
  }

  /**
   * New upstream tokens from `tokens.refreshToken`. Keeps the old refresh token
   * when the upstream does not rotate it, and the old scopes when its answer
   * leaves them out. Throws `UpstreamError("invalid_grant")` when there is no
   * refresh token or the upstream refuses it (the user must authorize again).
   */
  async refreshTokens(tokens: UpstreamTokens): Promise<UpstreamTokens> {
    const refreshToken = tokens.refreshToken;
    if (refreshToken === undefined || refreshToken === "") {
      throw new UpstreamError("invalid_grant", `${this.name}: token refresh: the upstream issued no refresh token`);
    }
    const result = await this.#tokenRequest(
      "refresh_token",
      (options) =>
        oauth.refreshTokenGrantRequest(this.authorizationServer, this.client, this.#clientAuth, refreshToken, options),
      (response) => oauth.processRefreshTokenResponse(this.authorizationServer, this.client, response),
    );
    return tokensFrom(result, { refreshToken, scopes: tokens.scopes });
  }

  /**
   * Revokes the user's upstream tokens at `endpoints.revocation` (RFC 7009):
   * the refresh token first (which ends the grant at most upstreams), then the
   * access token. Does nothing when no revocation endpoint is configured.
   */
  async revokeTokens(tokens: UpstreamTokens): Promise<void> {
    if (this.endpoints.revocation === undefined) return;
    const revoke = async (token: string, hint: string): Promise<void> => {
      const step = `revocation of the ${hint.replace("_", " ")}`;
      let response: Response;
      try {
        response = await oauth.revocationRequest(this.authorizationServer, this.client, this.#clientAuth, token, {
          ...this.#requestOptions(),
          additionalParameters: { token_type_hint: hint },
        });
      } catch (err) {
        throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: ${describe(err)}`);
      }
      try {
        await oauth.processRevocationResponse(response);
      } catch (err) {
        throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: ${describe(err, response.status)}`);
      }
    };
    if (tokens.refreshToken !== undefined && tokens.refreshToken !== "") {
      await revoke(tokens.refreshToken, "refresh_token");
    }
    await revoke(tokens.accessToken, "access_token");
  }

  /**
   * Replaces the client secret sent to the upstream's token and revocation
   * endpoints (same authentication method): for a provider whose secret is
   * known only once it is mounted (the development provider derives its own
   * from the token store). Throws `TypeError` for a client without a secret.
   */
  protected replaceClientSecret(secret: string): void {
    if (this.#clientAuthMethod === "none")
      throw new TypeError(`${this.name}: this client authenticates without a secret`);
    if (secret === "") throw new TypeError(`${this.name}: the client secret must not be empty`);
    this.#clientAuth = clientAuthOf(this.#clientAuthMethod, secret);
  }

  /** Routes the provider serves itself on our HTTP server (the development provider's `/dev-idp/*`). */
  mount?(app: FastifyInstance, context: ProviderMountContext): void | Promise<void>;

  /**
   * Who the user is, from fresh tokens. The default reads the OpenID userinfo
   * endpoint (`sub` → `userId`, `name` or `preferred_username` → `name`,
   * `email`), checking its `sub` against the ID token's when there is one; with
   * no userinfo endpoint it uses the ID token's claims. Override it for
   * upstreams without OpenID Connect (call their API with `getJson`). Throw
   * `UpstreamError` for failures; anything else thrown becomes `upstream_error`.
   */
  protected async identify(tokens: UpstreamTokens, context: IdentifyContext): Promise<UpstreamIdentity> {
    if (this.endpoints.userinfo !== undefined) {
      const step = "userinfo request";
      let response: Response;
      try {
        response = await oauth.userInfoRequest(
          this.authorizationServer,
          this.client,
          tokens.accessToken,
          this.#requestOptions(),
        );
      } catch (err) {
        throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: ${describe(err)}`);
      }
      try {
        const claims = await oauth.processUserInfoResponse(
          this.authorizationServer,
          this.client,
          context.idTokenClaims?.sub ?? oauth.skipSubjectCheck,
          response,
        );
        return identityFromClaims(claims);
      } catch (err) {
        throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: ${describe(err, response.status)}`);
      }
    }
    if (context.idTokenClaims !== undefined) return identityFromClaims(context.idTokenClaims);
    throw new UpstreamError(
      "upstream_error",
      `${this.name}: cannot identify the user: the upstream returned no ID token and endpoints.userinfo is not set`,
    );
  }

  /** The upstream scopes for one authorization request. Default: the `scopes` option, whatever MCP scopes were asked for. */
  protected upstreamScopes(_request: UpstreamAuthorizationRequest): readonly string[] {
    return this.scopes;
  }

  /**
   * Extra headers and form parameters for a token request, for upstreams with
   * quirks. Default: none. (oauth4webapi already sends `Accept: application/json`,
   * which GitHub needs to answer in JSON; the `authorization` header is reserved
   * for client authentication.)
   */
  protected tokenRequestExtras(_grant: UpstreamGrantType): UpstreamRequestExtras {
    return {};
  }

  /**
   * The token endpoint's successful JSON answer, before it is checked, for
   * upstreams whose answers bend RFC 6749 §5.1 (LinkedIn may leave out the
   * required `token_type`, and lists scopes with commas). Return the body to
   * check instead. Default: the body unchanged. It holds tokens: never log it.
   */
  protected tokenResponseBody(body: { [key: string]: unknown }, _grant: UpstreamGrantType): { [key: string]: unknown } {
    return body;
  }

  /**
   * What an OAuth error code from the token endpoint means for us. Default:
   * `invalid_grant` is `invalid_grant` (the code, or the refresh token, is no
   * longer good: the user must authorize again), anything else `upstream_error`.
   * Override it for upstreams with their own codes (GitHub's `bad_refresh_token`).
   * Error bodies answered with HTTP 200 (GitHub does that) count as errors too.
   */
  protected tokenErrorKind(error: string, _grant: UpstreamGrantType): UpstreamErrorKind {
    return error === "invalid_grant" ? "invalid_grant" : "upstream_error";
  }

  /**
   * GETs an upstream API URL with the user's access token and returns its JSON
   * object (for `identify` on upstreams without OpenID Connect). Throws
   * `UpstreamError("upstream_error")` naming the URL's path and the HTTP status
   * for anything but a 200 with a JSON object.
   */
  protected async getJson(
    url: string,
    tokens: UpstreamTokens,
    headers: Record<string, string> = {},
  ): Promise<{ [key: string]: unknown }> {
    const target = new URL(url);
    const step = `GET ${target.pathname}`;
    let response: Response;
    try {
      response = await oauth.protectedResourceRequest(
        tokens.accessToken,
        "GET",
        target,
        new Headers({ accept: "application/json", ...headers }),
        null,
        this.#requestOptions(),
      );
    } catch (err) {
      throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: ${describe(err)}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: unexpected HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: the answer is not JSON (HTTP 200)`);
    }
    if (!isJsonObject(body)) {
      throw new UpstreamError(
        "upstream_error",
        `${this.name}: ${step} failed: the answer is not a JSON object (HTTP 200)`,
      );
    }
    return body;
  }

  async #identifyChecked(tokens: UpstreamTokens, context: IdentifyContext): Promise<UpstreamIdentity> {
    let identity: UpstreamIdentity;
    try {
      identity = await this.identify(tokens, context);
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      throw new UpstreamError("upstream_error", `${this.name}: identify failed: ${describe(err)}`);
    }
    if (typeof identity?.userId !== "string" || identity.userId === "") {
      throw new UpstreamError("upstream_error", `${this.name}: identify returned no user id`);
    }
    return identity;
  }

  /**
   * Checks a code exchange's answer: the ID token's claims (`iss`, `aud`, `exp`, `iat`, and the
   * `nonce` when one was sent), then, with `endpoints.jwks`, its signature with the upstream's keys.
   */
  async #processCodeResponse(
    response: Response,
    expectedNonce: string | undefined,
  ): Promise<oauth.TokenEndpointResponse> {
    const result = await oauth.processAuthorizationCodeResponse(this.authorizationServer, this.client, response, {
      expectedNonce: expectedNonce ?? oauth.expectNoNonce,
      // A nonce was sent because the user is identified by the ID token: an answer without one is refused.
      requireIdToken: expectedNonce !== undefined,
    });
    const idToken = result.id_token;
    // An HMAC-signed ID token (HS256, keyed with our client secret) has no public key to check it with:
    // it came straight from the token endpoint over TLS, which OpenID Connect Core §3.1.3.7 accepts.
    if (this.endpoints.jwks !== undefined && idToken !== undefined && !isHmacSigned(idToken)) {
      try {
        await oauth.validateApplicationLevelSignature(this.authorizationServer, response, this.#requestOptions());
      } catch (err) {
        throw new UpstreamError(
          "upstream_error",
          `${this.name}: code exchange: the ID token's signature does not check out with the upstream's keys: ${describe(err)}`,
        );
      }
    }
    return result;
  }

  /** One token endpoint round trip, every failure mapped to an `UpstreamError` for `step`. */
  async #tokenRequest(
    grant: UpstreamGrantType,
    send: (options: oauth.TokenEndpointRequestOptions) => Promise<Response>,
    process: (response: Response) => Promise<oauth.TokenEndpointResponse>,
  ): Promise<oauth.TokenEndpointResponse> {
    const step = grant === "authorization_code" ? "code exchange" : "token refresh";
    const extras = this.tokenRequestExtras(grant);
    let response: Response;
    try {
      response = await send({
        ...this.#requestOptions(),
        ...(extras.headers === undefined ? {} : { headers: extras.headers }),
        ...(extras.parameters === undefined ? {} : { additionalParameters: extras.parameters }),
      });
    } catch (err) {
      throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: ${describe(err)}`);
    }
    const errorIn200 = await errorCodeOf200(response);
    if (errorIn200 !== undefined) {
      await response.body?.cancel();
      throw new UpstreamError(
        this.tokenErrorKind(errorIn200, grant),
        `${this.name}: ${step} refused by the upstream: ${errorIn200} (HTTP 200)`,
      );
    }
    response = await this.#adjustedTokenResponse(response, grant);
    try {
      return await process(response);
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (err instanceof oauth.ResponseBodyError) {
        const code = printable(err.error);
        throw new UpstreamError(
          this.tokenErrorKind(err.error, grant),
          `${this.name}: ${step} refused by the upstream: ${code} (HTTP ${err.status})`,
        );
      }
      throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: ${describe(err, response.status)}`);
    }
  }

  /** `response` with its JSON body passed through `tokenResponseBody` (a 200 with a JSON object, when a subclass overrides it). */
  async #adjustedTokenResponse(response: Response, grant: UpstreamGrantType): Promise<Response> {
    if (response.status !== 200 || this.tokenResponseBody === BaseOAuthProvider.prototype.tokenResponseBody) {
      return response;
    }
    let body: unknown;
    try {
      body = await response.clone().json();
    } catch {
      return response; // Not JSON: oauth4webapi reports it.
    }
    if (!isJsonObject(body)) return response;
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    headers.delete("content-encoding");
    await response.body?.cancel();
    return new Response(JSON.stringify(this.tokenResponseBody(body, grant)), { status: 200, headers });
  }

  /** What every upstream request shares: the insecure-http switch and the timeout. */
  #requestOptions(): { [oauth.allowInsecureRequests]: boolean; signal: () => AbortSignal } {
    return {
      [oauth.allowInsecureRequests]: this.#allowInsecureRequests,
      signal: () => AbortSignal.timeout(this.#timeoutMs),
    };
  }
}

/** Our `UpstreamTokens` from a token endpoint answer; `fallback` fills what the answer leaves out. */
function tokensFrom(
  result: oauth.TokenEndpointResponse,
  fallback: { refreshToken?: string; scopes: readonly string[] },
): UpstreamTokens {
  const tokens: UpstreamTokens = {
    accessToken: result.access_token,
    scopes: result.scope === undefined ? [...fallback.scopes] : splitScope(result.scope),
    // oauth4webapi lower-cases the type; `Bearer` is how it is written in headers.
    tokenType: result.token_type === "bearer" ? "Bearer" : result.token_type,
  };
  const refreshToken = result.refresh_token ?? fallback.refreshToken;
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken;
  if (result.expires_in !== undefined) tokens.expiresAt = Math.floor(Date.now() / 1000) + Math.floor(result.expires_in);
  return tokens;
}

/** Whether a JWT's protected header names an HMAC algorithm (`HS256`, …); `false` when it cannot be read. */
function isHmacSigned(jwt: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(jwt.split(".")[0] ?? "", "base64url").toString("utf8"));
    return isJsonObject(header) && typeof header.alg === "string" && header.alg.startsWith("HS");
  } catch {
    return false;
  }
}

function identityFromClaims(claims: { readonly sub: string; readonly [claim: string]: unknown }): UpstreamIdentity {
  const identity: UpstreamIdentity = { userId: claims.sub };
  const name = typeof claims.name === "string" ? claims.name : claims.preferred_username;
  if (typeof name === "string" && name !== "") identity.name = name;
  if (typeof claims.email === "string" && claims.email !== "") identity.email = claims.email;
  return identity;
}

/**
 * The `error` of a token endpoint answer that says HTTP 200 but carries an
 * OAuth error body instead of tokens (GitHub does this), else `undefined`.
 */
async function errorCodeOf200(response: Response): Promise<string | undefined> {
  if (response.status !== 200) return undefined;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return undefined;
  }
  if (!isJsonObject(body) || typeof body.error !== "string" || body.access_token !== undefined) return undefined;
  return body.error;
}

/**
 * A log-safe account of a failed upstream request: the kind of failure and the
 * HTTP status. oauth4webapi's messages name the failed check, never a value;
 * its errors' `cause` may hold the response body (tokens), so it is not kept.
 */
function describe(err: unknown, status?: number): string {
  const http = status === undefined ? "" : ` (HTTP ${status})`;
  if (err instanceof oauth.ResponseBodyError)
    return `the upstream answered ${printable(err.error)} (HTTP ${err.status})`;
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0];
    const error = challenge?.parameters.error;
    return `HTTP ${err.status} with a ${printable(challenge?.scheme ?? "")} challenge${error === undefined ? "" : ` (${printable(error)})`}`;
  }
  if (err instanceof oauth.OperationProcessingError) {
    if (err.code === oauth.RESPONSE_IS_NOT_CONFORM) return `unexpected HTTP status${http}`;
    if (err.code === oauth.HTTP_REQUEST_FORBIDDEN || err.code === oauth.REQUEST_PROTOCOL_FORBIDDEN) {
      return `request refused before sending: ${err.message}`;
    }
    return `malformed answer${http}: ${err.message}`;
  }
  if (err instanceof oauth.UnsupportedOperationError) return `unsupported answer${http}: ${err.message}`;
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timed out";
  if (err instanceof TypeError && err.message === "fetch failed") {
    const cause = err.cause as { code?: unknown } | undefined;
    return `network error${typeof cause?.code === "string" ? ` (${cause.code})` : ""}`;
  }
  return `${err instanceof Error ? err.name : "error"}${http}`;
}

/** An upstream-supplied word made safe for a log line: printable ASCII, bounded. */
const printable = (value: string): string => value.replace(/[^\x21-\x7e]/g, "?").slice(0, 64);

const splitScope = (scope: string): string[] => scope.split(" ").filter((s) => s !== "");

const isJsonObject = (value: unknown): value is { [key: string]: unknown } =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function parseHttpUrl(value: unknown): URL | undefined {
  if (typeof value !== "string") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  if (url.hash !== "" || value.includes("#")) return undefined;
  return url;
}

/** How oauth4webapi authenticates us with `method` (a secret is checked present by the options schema). */
function clientAuthOf(method: UpstreamClientAuthentication, secret: string | undefined): oauth.ClientAuth {
  if (method === "none") return oauth.None();
  return method === "client_secret_post"
    ? oauth.ClientSecretPost(secret as string)
    : oauth.ClientSecretBasic(secret as string);
}
