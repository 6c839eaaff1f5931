/**
 * GitHubOAuthProvider: GitHub's OAuth web application flow, for OAuth apps
 * and for GitHub Apps acting on behalf of a user.
 *
 * GitHub is plain OAuth 2.0 with quirks, each handled where it bites:
 * - no OpenID Connect: who the user is comes from `GET /user` of the REST API;
 * - the token endpoint answers form-encoded unless asked for JSON, and reports
 *   errors (`bad_verification_code`, `bad_refresh_token`, …) with HTTP 200;
 * - granted scopes come back comma-separated (`"repo,read:user"`);
 * - OAuth app tokens never expire and come without a refresh token, while a
 *   GitHub App with expiring user tokens gets 8-hour access tokens and
 *   6-month refresh tokens that rotate on every use;
 * - the REST API refuses requests without a `User-Agent`.
 */
import {
  BaseOAuthProvider,
  rebaseUpstreamUrl,
  type UpstreamCallback,
  type UpstreamErrorKind,
  type UpstreamGrant,
  type UpstreamGrantType,
  type UpstreamIdentity,
  type UpstreamRequestExtras,
  type UpstreamTokens,
} from "@chuk-mcp/oauth";
import { ConfigError } from "@chuk-mcp/server";
import { GITHUB_API_URL, type GitHubApiSettings, githubApiHeaders } from "./api.js";

/** Where the user's browser is sent to approve the app. */
export const GITHUB_AUTHORIZATION_URL = "https://github.com/login/oauth/authorize";
/** Where codes (and, for expiring user tokens, refresh tokens) are exchanged. */
export const GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token";
/**
 * The upstream scopes asked for by default: the profile (`read:user`) and
 * full access to the user's repositories (`repo`: private ones too, needed to
 * open issues there). Ask for `["read:user", "public_repo"]` to stay with
 * public repositories. GitHub Apps ignore scopes: their permissions are set on the app.
 */
export const GITHUB_DEFAULT_SCOPES: readonly string[] = Object.freeze(["read:user", "repo"]);
/** The `User-Agent` sent to GitHub unless another is configured (GitHub rejects requests without one). */
export const GITHUB_DEFAULT_USER_AGENT = "chuk-mcp-providers-github";

/** Options of `GitHubOAuthProvider`. */
export interface GitHubOAuthProviderOptions {
  /** The OAuth app's (or GitHub App's) client id. */
  clientId: string;
  /** Its client secret. */
  clientSecret: string;
  /** Our callback, exactly as registered as the app's callback URL (`…/oauth/callback`). */
  redirectUri: string;
  /** Upstream scopes (GitHub's names). Default `GITHUB_DEFAULT_SCOPES`: `read:user repo`. */
  scopes?: readonly string[];
  /**
   * Sends every GitHub request (github.com and api.github.com alike) to this
   * origin instead, paths unchanged: a local stand-in for tests and offline
   * development. `http:` needs `allowInsecureRequests` and a loopback host.
   */
  upstreamUrl?: string;
  /** Allow `http:` for a loopback `upstreamUrl`. Default `false`. */
  allowInsecureRequests?: boolean;
  /** Seconds to wait for each GitHub request. Default 10. */
  requestTimeout?: number;
  /** The `User-Agent` of every request to GitHub. Default `GITHUB_DEFAULT_USER_AGENT`. */
  userAgent?: string;
}

/**
 * GitHub as the upstream of our authorization server. The user id, and so the
 * `sub` of our tokens, is `github:<numeric id>`: the numeric id never changes
 * while the login name can be renamed (and then reused by someone else), and
 * the prefix keeps GitHub's ids apart from other providers' in a shared store.
 *
 * ```ts
 * import { GitHubOAuthProvider } from "@chuk-mcp/providers-github";
 *
 * const github = new GitHubOAuthProvider({
 *   clientId: "Iv1.0123456789abcdef",
 *   clientSecret: "…",
 *   redirectUri: "http://localhost:8000/oauth/callback",
 * });
 * ```
 */
export class GitHubOAuthProvider extends BaseOAuthProvider {
  readonly name = "GitHub";
  /** Where and how the REST API is called for this provider (rebased with `upstreamUrl`). */
  readonly api: GitHubApiSettings;

  constructor(options: GitHubOAuthProviderOptions) {
    const upstreamUrl = options.upstreamUrl;
    const userAgent = options.userAgent ?? GITHUB_DEFAULT_USER_AGENT;
    if (userAgent.trim() === "" || /[\r\n]/.test(userAgent)) {
      throw new ConfigError("GitHubOAuthProvider options: userAgent must be a non-empty single line");
    }
    super({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      redirectUri: options.redirectUri,
      scopes: options.scopes ?? GITHUB_DEFAULT_SCOPES,
      endpoints: {
        authorization: rebaseUpstreamUrl(GITHUB_AUTHORIZATION_URL, upstreamUrl),
        token: rebaseUpstreamUrl(GITHUB_TOKEN_URL, upstreamUrl),
      },
      // GitHub documents client_id and client_secret as parameters of the
      // token request itself, not HTTP Basic authentication.
      clientAuthentication: "client_secret_post",
      // PKCE S256 on the web flow is supported since July 2025 (only S256);
      // GitHub does not require it, we send it anyway: the base class's default.
      pkce: true,
      ...(options.allowInsecureRequests === undefined ? {} : { allowInsecureRequests: options.allowInsecureRequests }),
      ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
    });
    this.api = Object.freeze({
      baseUrl: rebaseUpstreamUrl(GITHUB_API_URL, upstreamUrl).replace(/\/+$/, ""),
      userAgent,
      timeoutSeconds: options.requestTimeout ?? 10,
    });
  }

  /** Sign-in: the base class's flow, then GitHub's comma-separated scopes split into a list. */
  override async finishAuthorization(callback: UpstreamCallback): Promise<UpstreamGrant> {
    const grant = await super.finishAuthorization(callback);
    return { ...grant, tokens: withGitHubScopes(grant.tokens) };
  }

  /**
   * Refresh, for GitHub Apps with expiring user tokens (the only ones that
   * get a refresh token). GitHub rotates the refresh token on every use and
   * ends the old access token with it. OAuth app tokens have no refresh token
   * and never expire, so the server never asks to refresh them (and this
   * throws `invalid_grant` without a request if asked).
   */
  override async refreshTokens(tokens: UpstreamTokens): Promise<UpstreamTokens> {
    return withGitHubScopes(await super.refreshTokens(tokens));
  }

  /** The user behind fresh tokens, from `GET /user` (GitHub has no OpenID userinfo). */
  protected override async identify(tokens: UpstreamTokens): Promise<UpstreamIdentity> {
    const user = await this.getJson(`${this.api.baseUrl}/user`, tokens, githubApiHeaders(this.api.userAgent));
    const id = user.id;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
      throw new Error("GET /user answered without a numeric id");
    }
    const identity: UpstreamIdentity = { userId: `github:${id}` };
    if (typeof user.login === "string" && user.login !== "") identity.name = user.login;
    if (typeof user.email === "string" && user.email !== "") identity.email = user.email;
    return identity;
  }

  /**
   * oauth4webapi already sends `Accept: application/json` on token requests,
   * without which GitHub answers form-encoded; we add our `User-Agent`.
   */
  protected override tokenRequestExtras(_grant: UpstreamGrantType): UpstreamRequestExtras {
    return { headers: { "user-agent": this.api.userAgent } };
  }

  /**
   * GitHub's own error codes, which arrive with HTTP 200 (the base class
   * already treats such an answer as an error):
   * - `bad_refresh_token` (expired, revoked, or already used: rotation) and
   *   `bad_verification_code` (expired or already used): the grant is gone,
   *   the user must authorize again;
   * - `unverified_user_email`: GitHub will not issue a token to this user
   *   until they verify their primary email, a refusal;
   * - `incorrect_client_credentials`, `redirect_uri_mismatch`, anything else:
   *   misconfiguration or failure on our side.
   */
  protected override tokenErrorKind(error: string, grant: UpstreamGrantType): UpstreamErrorKind {
    switch (error) {
      case "bad_refresh_token":
      case "bad_verification_code":
        return "invalid_grant";
      case "unverified_user_email":
        return "access_denied";
      default:
        return super.tokenErrorKind(error, grant);
    }
  }
}

/**
 * `tokens` with GitHub's comma-separated `scope` (`"repo,read:user"`) split
 * into scope names; the base class only splits on spaces, as RFC 6749 has it.
 * A GitHub App's token carries `scope: ""`, which stays an empty list.
 */
function withGitHubScopes(tokens: UpstreamTokens): UpstreamTokens {
  const scopes = [...new Set(tokens.scopes.flatMap((s) => s.split(",")).map((s) => s.trim()))].filter((s) => s !== "");
  return { ...tokens, scopes };
}
