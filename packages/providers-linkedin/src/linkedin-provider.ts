/**
 * LinkedIn as the upstream: "Sign In with LinkedIn using OpenID Connect"
 * (`openid profile email`) plus `w_member_social` to post as the member.
 *
 * LinkedIn's quirks, each handled where it is handled below:
 * - the client secret travels in the form body (`client_secret_post`), never in a Basic header;
 * - no PKCE for web apps: a `code_verifier` makes the token endpoint refuse the client;
 * - the ID token's issuer is `https://www.linkedin.com/oauth` (since April 2024), not the origin;
 * - token answers may lack `token_type` and list scopes with commas (`email,openid,profile`);
 * - most apps get no refresh token: an access token lasts 60 days, then the member must sign in
 *   again. Apps with programmatic refresh tokens get `refresh_token` (+ `refresh_token_expires_in`);
 * - a member who cancels comes back with `user_cancelled_login` or `user_cancelled_authorize`,
 *   not `access_denied`.
 */
import {
  BaseOAuthProvider,
  rebaseUpstreamUrl,
  type UpstreamCallback,
  UpstreamError,
  type UpstreamErrorKind,
  type UpstreamGrant,
  type UpstreamGrantType,
  type UpstreamTokens,
} from "@chuk-mcp/oauth";

/** Where members sign in and approve the app. */
export const LINKEDIN_AUTHORIZATION_URL = "https://www.linkedin.com/oauth/v2/authorization";
/** Where codes (and programmatic refresh tokens) become access tokens. */
export const LINKEDIN_TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken";
/** OpenID Connect userinfo: `sub`, `name`, `email`, `picture`, … */
export const LINKEDIN_USERINFO_URL = "https://api.linkedin.com/v2/userinfo";
/** The origin of LinkedIn's REST API (`/rest/posts`, …). */
export const LINKEDIN_API_URL = "https://api.linkedin.com";
/** The `iss` of LinkedIn's ID tokens, as its discovery document says (`https://www.linkedin.com/oauth/.well-known/openid-configuration`). */
export const LINKEDIN_ISSUER = "https://www.linkedin.com/oauth";
/** Sign-in (OpenID Connect) and posting as the member. */
export const LINKEDIN_DEFAULT_SCOPES: readonly string[] = Object.freeze([
  "openid",
  "profile",
  "email",
  "w_member_social",
]);
/** What a LinkedIn access token lives when the answer does not say: 60 days. */
export const LINKEDIN_ACCESS_TOKEN_LIFETIME_SECONDS = 60 * 24 * 60 * 60;

/** Options of `LinkedInOAuthProvider`. */
export interface LinkedInOAuthProviderOptions {
  /** The app's Client ID (LinkedIn developer portal → your app → Auth). */
  clientId: string;
  /** The app's Primary Client Secret. */
  clientSecret: string;
  /** Our callback as listed under "Authorized redirect URLs for your app": `<server URL>/oauth/callback`. */
  redirectUri: string;
  /** LinkedIn scopes to ask for. Default: `openid profile email w_member_social`. `openid` is needed to identify members. */
  scopes?: readonly string[];
  /**
   * Sends every LinkedIn request (sign-in, token, userinfo, API) to this origin instead, paths
   * unchanged: a local stand-in for tests and offline development.
   */
  upstreamUrl?: string;
  /** Allow `http:` for a stand-in on a loopback host. Default `false`. */
  allowInsecureRequests?: boolean;
  /** Seconds to wait for each LinkedIn request. Default 10. */
  requestTimeout?: number;
}

/** The member cancelled at LinkedIn: its own error codes for what RFC 6749 calls `access_denied`. */
const CANCELLED = new Set(["user_cancelled_login", "user_cancelled_authorize"]);

/**
 * LinkedIn sign-in and posting for `OAuthMiddleware`. The member is identified
 * by the OpenID Connect `sub` (from `/v2/userinfo`, checked against the ID
 * token's), which is also their person URN's id: `urn:li:person:<sub>`.
 */
export class LinkedInOAuthProvider extends BaseOAuthProvider {
  readonly name = "LinkedIn";
  /** The origin of LinkedIn's REST API for tools (`https://api.linkedin.com`, or the stand-in). */
  readonly apiUrl: string;

  constructor(options: LinkedInOAuthProviderOptions) {
    const upstream = options.upstreamUrl?.replace(/\/+$/, "");
    const at = (url: string) => rebaseUpstreamUrl(url, upstream);
    super({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      redirectUri: options.redirectUri,
      scopes: options.scopes ?? LINKEDIN_DEFAULT_SCOPES,
      endpoints: {
        authorization: at(LINKEDIN_AUTHORIZATION_URL),
        token: at(LINKEDIN_TOKEN_URL),
        userinfo: at(LINKEDIN_USERINFO_URL),
        // An identifier, not a URL we call: a stand-in signs its ID tokens with LinkedIn's.
        issuer: LINKEDIN_ISSUER,
      },
      // LinkedIn reads client_id and client_secret from the form body only.
      clientAuthentication: "client_secret_post",
      // Web apps get no PKCE: LinkedIn answers a code_verifier with invalid_client.
      pkce: false,
      ...(options.allowInsecureRequests === undefined ? {} : { allowInsecureRequests: options.allowInsecureRequests }),
      ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
    });
    this.apiUrl = upstream ?? LINKEDIN_API_URL;
  }

  /** LinkedIn's own "cancelled" codes are the member refusing: `access_denied` for the MCP client. */
  override async finishAuthorization(callback: UpstreamCallback): Promise<UpstreamGrant> {
    const error = callback.url.searchParams.get("error");
    if (error !== null && CANCELLED.has(error)) {
      throw new UpstreamError("access_denied", `LinkedIn: the member cancelled (${error})`);
    }
    return super.finishAuthorization(callback);
  }

  /**
   * Programmatic refresh tokens when the app has them. Most apps get none: then
   * the expired 60-day access token cannot be renewed, and this fails with
   * `invalid_grant` so the member is sent through LinkedIn's sign-in again.
   */
  override async refreshTokens(tokens: UpstreamTokens): Promise<UpstreamTokens> {
    if (tokens.refreshToken === undefined || tokens.refreshToken === "") {
      throw new UpstreamError(
        "invalid_grant",
        "LinkedIn: the access token has expired and LinkedIn issued no refresh token " +
          "(most apps get none; tokens last 60 days): the member must authorize again",
      );
    }
    return super.refreshTokens(tokens);
  }

  /** Mends LinkedIn's token answers before they are checked (see the file header). */
  protected override tokenResponseBody(
    body: { [key: string]: unknown },
    _grant: UpstreamGrantType,
  ): { [key: string]: unknown } {
    const mended = { ...body };
    // RFC 6749 requires token_type; LinkedIn's tokens are bearer tokens whether it says so or not.
    if (mended.token_type === undefined) mended.token_type = "Bearer";
    // "email,openid,profile" → "email openid profile".
    if (typeof mended.scope === "string") {
      mended.scope = mended.scope
        .split(/[\s,]+/)
        .filter((s) => s !== "")
        .join(" ");
    }
    // Without expires_in we would keep a dead token forever: LinkedIn's documented lifetime.
    if (mended.expires_in === undefined) mended.expires_in = LINKEDIN_ACCESS_TOKEN_LIFETIME_SECONDS;
    return mended;
  }

  /**
   * LinkedIn reports a code it will not honour with `invalid_request`, not
   * `invalid_grant`; a refresh token that expired (a year after sign-in) or was
   * revoked may be reported the same way. On refresh both mean the member must
   * authorize again.
   */
  protected override tokenErrorKind(error: string, grant: UpstreamGrantType): UpstreamErrorKind {
    if (grant === "refresh_token" && error === "invalid_request") return "invalid_grant";
    return super.tokenErrorKind(error, grant);
  }
}
