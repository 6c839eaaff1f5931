/**
 * GoogleDriveOAuthProvider: Google sign-in (OpenID Connect) with access to
 * the user's Google Drive, for `OAuthMiddleware`. The upstream HTTP is done by
 * `BaseOAuthProvider` (oauth4webapi); this file holds Google's endpoints and
 * the quirks of its OAuth 2.0 server, each handled where it is commented.
 *
 * Endpoints are Google's production URLs. With `upstreamUrl` every one of
 * them (OAuth and Drive) is sent to that origin instead, paths unchanged: a
 * local stand-in for tests and offline development.
 */
import {
  BaseOAuthProvider,
  isLoopbackHost,
  rebaseUpstreamUrl,
  type UpstreamCallback,
  UpstreamError,
  type UpstreamGrant,
  type UpstreamTokens,
} from "@chuk-mcp/oauth";
import { ConfigError } from "@chuk-mcp/server";

/** Where the user's browser is sent to sign in and consent. */
export const GOOGLE_AUTHORIZATION_ENDPOINT = "https://accounts.google.com/o/oauth2/v2/auth";
/** Code exchange and refresh. */
export const GOOGLE_TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token";
/** OpenID Connect userinfo: `sub`, `name`, `picture`, and `email` when that scope was granted. */
export const GOOGLE_USERINFO_ENDPOINT = "https://openidconnect.googleapis.com/v1/userinfo";
/** Token revocation. */
export const GOOGLE_REVOCATION_ENDPOINT = "https://oauth2.googleapis.com/revoke";
/** The `iss` of Google's ID tokens and of its authorization responses. */
export const GOOGLE_ISSUER = "https://accounts.google.com";
/** The Drive API (v3): metadata, downloads, exports. */
export const GOOGLE_DRIVE_API = "https://www.googleapis.com/drive/v3";
/** The Drive API's upload endpoint (v3): file content goes here. */
export const GOOGLE_DRIVE_UPLOAD_API = "https://www.googleapis.com/upload/drive/v3";
/** Where developers create the OAuth client and find its id and secret. */
export const GOOGLE_CONSOLE_URL = "https://console.cloud.google.com/apis/credentials";

/** Drive access limited to files this app created or the user opened with it (not a restricted scope: no security review). */
export const GOOGLE_DRIVE_FILE_SCOPE = "https://www.googleapis.com/auth/drive.file";
/** The user's name and picture (what `profile` expands to at Google). */
export const GOOGLE_PROFILE_SCOPE = "https://www.googleapis.com/auth/userinfo.profile";

/** The Google scopes asked for by default: who the user is, and Drive access to this app's files. */
export const GOOGLE_DRIVE_DEFAULT_SCOPES: readonly string[] = Object.freeze([
  "openid",
  GOOGLE_PROFILE_SCOPE,
  GOOGLE_DRIVE_FILE_SCOPE,
]);

/** Drive scopes start with this; at least one of those asked for must be granted. */
const DRIVE_SCOPE_PREFIX = "https://www.googleapis.com/auth/drive";

/** Where the Drive API lives for one provider (rebased to a stand-in when `upstreamUrl` is set). */
export interface GoogleDriveEndpoints {
  /** `…/drive/v3`: metadata, downloads, exports. */
  api: string;
  /** `…/upload/drive/v3`: uploads. */
  upload: string;
}

/** The Drive API endpoints, rebased to `upstreamUrl` when one is given. */
export function googleDriveEndpoints(upstreamUrl?: string): GoogleDriveEndpoints {
  return {
    api: rebaseUpstreamUrl(GOOGLE_DRIVE_API, upstreamUrl),
    upload: rebaseUpstreamUrl(GOOGLE_DRIVE_UPLOAD_API, upstreamUrl),
  };
}

/** Options of `GoogleDriveOAuthProvider`. */
export interface GoogleDriveOAuthProviderOptions {
  /** The OAuth client id from the Google Cloud console (`….apps.googleusercontent.com`). */
  clientId: string;
  /** Its client secret (`GOCSPX-…`). */
  clientSecret: string;
  /** Our callback, exactly as listed under "Authorized redirect URIs" of the OAuth client. */
  redirectUri: string;
  /** Google scopes to ask for. Default `GOOGLE_DRIVE_DEFAULT_SCOPES` (`openid`, `userinfo.profile`, `drive.file`). */
  scopes?: readonly string[];
  /**
   * Sends every upstream request (OAuth and Drive) to this origin instead of
   * Google's, paths unchanged: a local stand-in. `http:` only on a loopback host.
   */
  upstreamUrl?: string;
  /** Seconds to wait for each request to Google's OAuth endpoints. Default 10. */
  requestTimeout?: number;
}

/**
 * Google as the upstream: users sign in with their Google account and grant
 * Drive access; protected tools get a Google access token for the Drive API.
 *
 * ```ts
 * const google = new GoogleDriveOAuthProvider({
 *   clientId: "1234-abc.apps.googleusercontent.com",
 *   clientSecret: "GOCSPX-…",
 *   redirectUri: "http://localhost:8000/oauth/callback",
 * });
 * ```
 *
 * Google's behaviour it relies on or works around:
 * - a refresh token only with `access_type=offline`, and only when the user is
 *   shown the consent screen (`prompt=consent`), so both are always sent;
 * - refresh answers carry no new refresh token: the old one is kept (by the base class);
 * - PKCE S256 is supported and used; the client secret goes in the form body (`client_secret_post`);
 * - the user id is the OpenID `sub` (stable; the email address is not);
 * - with granular consent the user may untick Drive: a sign-in without any Drive scope is refused;
 * - revoking either token ends the whole grant, and a token already revoked is answered `400 invalid_token`.
 */
export class GoogleDriveOAuthProvider extends BaseOAuthProvider {
  readonly name = "Google Drive";
  /** Where the ready Drive tools send their requests. */
  readonly driveEndpoints: GoogleDriveEndpoints;
  readonly #revocationEndpoint: string;
  readonly #timeoutMs: number;

  /** Throws `ConfigError` naming each bad option. */
  constructor(options: GoogleDriveOAuthProviderOptions) {
    const upstreamUrl = checkedUpstreamUrl(options.upstreamUrl);
    const rebase = (url: string) => rebaseUpstreamUrl(url, upstreamUrl);
    const allowInsecureRequests = upstreamUrl?.startsWith("http:") ?? false;
    super({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      redirectUri: options.redirectUri,
      scopes: options.scopes ?? GOOGLE_DRIVE_DEFAULT_SCOPES,
      endpoints: {
        authorization: rebase(GOOGLE_AUTHORIZATION_ENDPOINT),
        token: rebase(GOOGLE_TOKEN_ENDPOINT),
        userinfo: rebase(GOOGLE_USERINFO_ENDPOINT),
        revocation: rebase(GOOGLE_REVOCATION_ENDPOINT),
        // Google's issuer stays Google's own even behind a stand-in: its ID tokens
        // and its RFC 9207 `iss` callback parameter both say https://accounts.google.com.
        issuer: GOOGLE_ISSUER,
      },
      // As Google documents it: the secret in the form body (Google also accepts HTTP Basic).
      clientAuthentication: "client_secret_post",
      // Google supports PKCE S256 for web clients too: the code is useless without the verifier.
      pkce: true,
      authorizationParams: {
        // Without offline access Google issues no refresh token, and without the consent
        // screen it issues one only the first time a user ever authorizes this client.
        access_type: "offline",
        prompt: "consent",
      },
      allowInsecureRequests,
      ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
    });
    this.driveEndpoints = Object.freeze(googleDriveEndpoints(upstreamUrl));
    // Checked by the base constructor: https, or http on loopback for a stand-in.
    this.#revocationEndpoint = rebase(GOOGLE_REVOCATION_ENDPOINT);
    this.#timeoutMs = (options.requestTimeout ?? 10) * 1000;
  }

  /**
   * The base flow, then Google's granular consent: the consent screen lets the
   * user untick each scope, and Google still answers with tokens. Without any
   * Drive scope every Drive tool would fail, so such a sign-in is refused here
   * with a message that says why.
   */
  override async finishAuthorization(callback: UpstreamCallback): Promise<UpstreamGrant> {
    const grant = await super.finishAuthorization(callback);
    const askedDrive = this.scopes.some((scope) => scope.startsWith(DRIVE_SCOPE_PREFIX));
    const grantedDrive = grant.tokens.scopes.some((scope) => scope.startsWith(DRIVE_SCOPE_PREFIX));
    if (askedDrive && !grantedDrive) {
      // The access Google did grant is of no use to us: give it back rather than keep it.
      await this.revokeTokens(grant.tokens).catch(() => undefined);
      throw new UpstreamError(
        "access_denied",
        `${this.name}: the user did not grant Google Drive access (the Drive box was unticked on Google's consent screen)`,
      );
    }
    return grant;
  }

  /**
   * Revokes the user's Google grant. Google ends the whole grant (refresh token
   * and every access token) when either token is revoked, and answers a second
   * revocation with `400 invalid_token`, so one request is made: the refresh
   * token when there is one, else the access token. A token Google no longer
   * knows counts as revoked. Google's endpoint takes the token alone, without
   * client authentication.
   */
  override async revokeTokens(tokens: UpstreamTokens): Promise<void> {
    const token = tokens.refreshToken || tokens.accessToken;
    const step = `revocation of the ${tokens.refreshToken ? "refresh" : "access"} token`;
    let response: Response;
    try {
      response = await fetch(this.#revocationEndpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ token }).toString(),
        redirect: "manual",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const reason = err instanceof Error && err.name === "TimeoutError" ? "timed out" : "network error";
      throw new UpstreamError("upstream_error", `${this.name}: ${step} failed: ${reason}`);
    }
    if (response.status === 200) {
      await response.body?.cancel();
      return;
    }
    const error = await oauthErrorCode(response);
    if (response.status === 400 && error === "invalid_token") return;
    throw new UpstreamError(
      "upstream_error",
      `${this.name}: ${step} failed: HTTP ${response.status}${error === undefined ? "" : ` (${error})`}`,
    );
  }
}

/** The `error` of an OAuth error body, printable and bounded; `undefined` when there is none. */
async function oauthErrorCode(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { error?: unknown };
    return typeof body.error === "string" ? body.error.replace(/[^\x21-\x7e]/g, "?").slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

/** `upstreamUrl` without its trailing slashes, checked: https anywhere, http on loopback only. */
function checkedUpstreamUrl(upstreamUrl: string | undefined): string | undefined {
  if (upstreamUrl === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(upstreamUrl);
  } catch {
    throw new ConfigError("GoogleDriveOAuthProvider options: upstreamUrl must be an absolute URL");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new ConfigError("GoogleDriveOAuthProvider options: upstreamUrl must be https (http only on a loopback host)");
  }
  return upstreamUrl.replace(/\/+$/, "");
}
