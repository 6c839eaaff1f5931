/**
 * A local stand-in for Google: its OAuth 2.0 / OpenID Connect server and the
 * Drive API v3 calls the ready tools make, on 127.0.0.1, speaking Google's
 * real HTTP shapes (as documented, and as Google answers in practice):
 *
 * - `GET /o/oauth2/v2/auth`: a signed-in user who approves at once — 302 to
 *   the redirect URI with `state`, `iss`, `code`, `scope`, `authuser`, `prompt`
 *   (or `error=access_denied`). Bad requests get an HTML error page, as Google
 *   shows them (unknown client, unregistered redirect URI, bad scope).
 * - `POST /token`: `authorization_code` (PKCE checked, single-use codes) and
 *   `refresh_token` (no new refresh token in the answer). The client
 *   authenticates with `client_secret_post` only. A refresh token is issued
 *   only with `access_type=offline`, and after a user's first consent only
 *   with `prompt=consent`. ID tokens are RS256 JWTs from https://accounts.google.com.
 * - `GET /v1/userinfo`, `POST /revoke` (either token ends the whole grant;
 *   a token already revoked is `400 invalid_token`).
 * - `GET /drive/v3/files` (`q`, `pageSize`, `pageToken`, `orderBy`, `fields`),
 *   `GET /drive/v3/files/{id}` (metadata, or `alt=media` content),
 *   `GET /drive/v3/files/{id}/export`, and
 *   `POST /upload/drive/v3/files?uploadType=multipart` (the multipart/related
 *   body parsed for real). Errors in Google's JSON error format. With the
 *   `drive.file` scope only the files the app created (or was opened with) exist.
 *
 * It records each request and counts token grants, so tests can assert what
 * was sent and how often tokens were refreshed.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type LoopbackServer, listenOnLoopback } from "../../oauth/test/helpers/loopback-server.js";

/** Google's issuer: in ID tokens and the authorization response's `iss`. */
export const GOOGLE_ISSUER = "https://accounts.google.com";
const SCOPE_PREFIX = "https://www.googleapis.com/auth/";
const PROFILE = `${SCOPE_PREFIX}userinfo.profile`;
const EMAIL = `${SCOPE_PREFIX}userinfo.email`;
const DRIVE_FULL = `${SCOPE_PREFIX}drive`;
const DRIVE_FILE = `${SCOPE_PREFIX}drive.file`;
const DRIVE_READONLY = `${SCOPE_PREFIX}drive.readonly`;
const FOLDER = "application/vnd.google-apps.folder";
const GOOGLE_APPS = "application/vnd.google-apps.";
/** Drive's multipart upload limit. */
const MULTIPART_LIMIT = 5 * 1024 * 1024;
/** Drive refuses to export more than this. */
const EXPORT_LIMIT = 10 * 1024 * 1024;
const BODY_LIMIT = 8 * 1024 * 1024;
const CODE_TTL_SECONDS = 600;

/** The signed-in Google user. */
export interface GoogleUser {
  /** The OpenID subject: Google's stable numeric account id. */
  sub: string;
  name: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  picture?: string;
}

/** A file in the stand-in's Drive. */
export interface StandInFile {
  id: string;
  /** Whose Drive it is in (a `sub`). */
  owner: string;
  name: string;
  mimeType: string;
  parents: string[];
  trashed: boolean;
  createdTime: string;
  modifiedTime: string;
  /** Stored content (blob files). */
  content?: Buffer;
  /** Google Docs, Sheets, Slides: their content by export type (`text/plain`, `text/csv`). */
  exports?: Record<string, string>;
  /** Created by this app or opened with it: visible with the `drive.file` scope. */
  visibleToApp: boolean;
}

/** One request the stand-in received. */
export interface StandInRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Form parameters of `application/x-www-form-urlencoded` bodies. */
  form?: Record<string, string>;
  /** The parsed parts of a multipart upload. */
  multipart?: { headers: Record<string, string>; body: string }[];
}

/** Token grants served, successful or not. */
export interface StandInCounters {
  authorizations: number;
  codeExchanges: number;
  refreshes: number;
  /** Refreshes refused (revoked or unknown refresh token). */
  refusedRefreshes: number;
  revocations: number;
  apiCalls: number;
}

export interface GoogleStandInOptions {
  clientId?: string;
  clientSecret?: string;
  /** Redirect URIs registered for the client (exact match, as Google requires). */
  redirectUris?: string[];
  user?: GoogleUser;
}

interface Grant {
  id: string;
  clientId: string;
  sub: string;
  scopes: string[];
  refreshToken: string | undefined;
  revoked: boolean;
}

interface AuthorizationCode {
  grant: Grant;
  redirectUri: string;
  challenge: string | undefined;
  method: string | undefined;
  offline: boolean;
  nonce: string | undefined;
  expiresAt: number;
  used: boolean;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
}

const now = () => Math.floor(Date.now() / 1000);
const opaque = (prefix: string, bytes = 32) => `${prefix}${randomBytes(bytes).toString("base64url")}`;
const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

/** A running stand-in. Its public fields steer what the simulated user and Google do next. */
export class GoogleStandIn {
  /** `http://127.0.0.1:<port>`: pass it as `GOOGLE_UPSTREAM_URL`. */
  origin = "";
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Who is signed in at Google and approves. */
  user: GoogleUser;
  /** `expires_in` of the next access tokens issued (Google: 3599). */
  accessTokenLifetime = 3599;
  /** When set, the next authorization is refused by the user (`error=access_denied`). */
  denyNextAuthorization = false;
  /** The `iss` of the ID tokens issued (Google's: https://accounts.google.com). */
  idTokenIssuer = GOOGLE_ISSUER;
  /** Scopes the user unticks on the consent screen (granular consent), by their full names. */
  withheldScopes: string[] = [];
  readonly requests: StandInRequest[] = [];
  readonly counters: StandInCounters = {
    authorizations: 0,
    codeExchanges: 0,
    refreshes: 0,
    refusedRefreshes: 0,
    revocations: 0,
    apiCalls: 0,
  };
  readonly files = new Map<string, StandInFile>();
  readonly #server: Server;
  #listening: LoopbackServer | undefined;
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #accessTokens = new Map<string, AccessToken>();
  readonly #refreshTokens = new Map<string, Grant>();
  readonly #grants: Grant[] = [];
  /** `clientId sub` pairs that consented before: Google sends them no new refresh token without prompt=consent. */
  readonly #consented = new Set<string>();
  readonly #signingKey: KeyObject;
  readonly #kid = randomBytes(8).toString("hex");

  constructor(options: GoogleStandInOptions = {}) {
    this.clientId = options.clientId ?? "1234567890-standin.apps.googleusercontent.com";
    this.clientSecret = options.clientSecret ?? "GOCSPX-stand-in-secret";
    this.redirectUris = options.redirectUris ?? [];
    this.user = options.user ?? {
      sub: "109876543210987654321",
      name: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      email: "ada@example.com",
      picture: "https://lh3.googleusercontent.com/a/stand-in",
    };
    this.#signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
        response.end("stand-in failure");
      });
    });
  }

  async listen(): Promise<this> {
    this.#listening = await listenOnLoopback(this.#server);
    this.origin = this.#listening.origin;
    return this;
  }

  async close(): Promise<void> {
    await this.#listening?.close();
  }

  /** Requests to `path` (and `method`, if given), in order. */
  requestsTo(path: string, method?: string): StandInRequest[] {
    return this.requests.filter((r) => r.path === path && (method === undefined || r.method === method));
  }

  /** Puts a file in a user's Drive (default: the signed-in user's, visible to the app). */
  addFile(file: {
    name: string;
    mimeType: string;
    content?: string | Buffer;
    exports?: Record<string, string>;
    parents?: string[];
    trashed?: boolean;
    modifiedTime?: string;
    visibleToApp?: boolean;
    owner?: string;
  }): StandInFile {
    const time = file.modifiedTime ?? new Date().toISOString();
    const stored: StandInFile = {
      id: driveId(),
      owner: file.owner ?? this.user.sub,
      name: file.name,
      mimeType: file.mimeType,
      parents: file.parents ?? ["root"],
      trashed: file.trashed ?? false,
      createdTime: time,
      modifiedTime: time,
      visibleToApp: file.visibleToApp ?? true,
    };
    if (file.content !== undefined) stored.content = Buffer.from(file.content);
    if (file.exports !== undefined) stored.exports = { ...file.exports };
    this.files.set(stored.id, stored);
    return stored;
  }

  /** An access token for `sub` with `scopes` (default: the signed-in user, drive.file), as after a sign-in. */
  issueAccessToken(options: { sub?: string; scopes?: string[]; lifetime?: number } = {}): string {
    const grant = this.#newGrant(this.clientId, options.sub ?? this.user.sub, options.scopes ?? [DRIVE_FILE], false);
    return this.#newAccessToken(grant, options.lifetime ?? this.accessTokenLifetime);
  }

  /** The user removes the app at myaccount.google.com/permissions: every grant of theirs ends. */
  revokeUser(sub = this.user.sub): void {
    for (const grant of this.#grants) if (grant.sub === sub) grant.revoked = true;
  }

  /** Every access token of `sub` expires now (refresh tokens stay good). */
  expireAccessTokens(sub = this.user.sub): void {
    for (const token of this.#accessTokens.values()) if (token.grant.sub === sub) token.expiresAt = now() - 1;
  }

  // --- routing -----------------------------------------------------------------

  async #handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? "/", this.origin);
    const body = await readBody(request);
    if (body === undefined) return sendJson(response, 413, { error: { code: 413, message: "Request Too Large" } });
    const recorded: StandInRequest = {
      method: request.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...request.headers },
    };
    const contentType = String(request.headers["content-type"] ?? "");
    if (contentType.startsWith("application/x-www-form-urlencoded")) {
      recorded.form = Object.fromEntries(new URLSearchParams(body.toString("utf8")));
    }
    this.requests.push(recorded);

    const route = `${recorded.method} ${url.pathname}`;
    if (route === "GET /o/oauth2/v2/auth") return this.#authorize(url, response);
    if (route === "POST /token") return this.#token(request, recorded, response);
    if (url.pathname === "/v1/userinfo" && (recorded.method === "GET" || recorded.method === "POST")) {
      return this.#userinfo(request, response);
    }
    if (route === "POST /revoke") return this.#revoke(recorded, url, response);
    const file = /^\/drive\/v3\/files\/([^/]+)(\/export)?$/.exec(url.pathname);
    if (url.pathname === "/drive/v3/files" || url.pathname === "/upload/drive/v3/files" || file) {
      this.counters.apiCalls += 1;
      const token = this.#apiToken(request, response);
      if (token === undefined) return;
      if (route === "GET /drive/v3/files") return this.#listFiles(token, url, response);
      if (route === "POST /upload/drive/v3/files") return this.#upload(token, request, body, url, recorded, response);
      if (file && recorded.method === "GET") {
        const id = decodeURIComponent(file[1] as string);
        return file[2] ? this.#exportFile(token, id, url, response) : this.#getFile(token, id, url, response);
      }
    }
    // Google's own 404 is an HTML page.
    response.writeHead(404, { "content-type": "text/html; charset=UTF-8" });
    response.end("<!DOCTYPE html><title>Error 404 (Not Found)!!1</title><p><b>404.</b> That’s an error.");
  }

  // --- OAuth: authorization endpoint ---------------------------------------------

  #authorize(url: URL, response: ServerResponse) {
    const p = url.searchParams;
    const errorPage = (status: number, code: string, detail: string) => {
      response.writeHead(status, { "content-type": "text/html; charset=utf-8" });
      response.end(
        `<!DOCTYPE html><title>Access blocked: Authorization Error</title><h1>Error ${code}</h1><p>${detail}`,
      );
    };
    if (p.get("client_id") !== this.clientId) {
      return errorPage(401, "401: invalid_client", "The OAuth client was not found.");
    }
    const redirectUri = p.get("redirect_uri") ?? "";
    if (!this.redirectUris.includes(redirectUri)) {
      return errorPage(
        400,
        "400: redirect_uri_mismatch",
        "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy.",
      );
    }
    if (p.get("response_type") !== "code") {
      return errorPage(400, "400: invalid_request", "Invalid response_type: this client supports the code flow.");
    }
    const requested = (p.get("scope") ?? "").split(" ").filter(Boolean);
    if (requested.length === 0) return errorPage(400, "400: invalid_request", "Missing required parameter: scope");
    const normalized = requested.map(normalizeScope);
    if (normalized.some((s) => s === undefined)) {
      return errorPage(400, "400: invalid_scope", "Some requested scopes were invalid.");
    }
    const accessType = p.get("access_type") ?? "online";
    if (accessType !== "online" && accessType !== "offline") {
      return errorPage(400, "400: invalid_request", `Invalid access_type: ${accessType}`);
    }
    const prompt = (p.get("prompt") ?? "").split(" ").filter(Boolean);
    if (prompt.some((value) => !["none", "consent", "select_account"].includes(value))) {
      return errorPage(400, "400: invalid_request", "Invalid prompt");
    }
    const challenge = p.get("code_challenge") ?? undefined;
    // Google defaults the method to plain when a challenge comes without one.
    const method = challenge === undefined ? undefined : (p.get("code_challenge_method") ?? "plain");
    if (method !== undefined && method !== "S256" && method !== "plain") {
      return errorPage(400, "400: invalid_request", "Invalid code_challenge_method");
    }
    this.counters.authorizations += 1;
    const back = new URL(redirectUri);
    const state = p.get("state");
    if (state !== null) back.searchParams.set("state", state);
    if (this.denyNextAuthorization) {
      this.denyNextAuthorization = false;
      back.searchParams.set("error", "access_denied");
      return redirect(response, back);
    }
    const withheld = new Set(this.withheldScopes);
    const granted = [...new Set(normalized as string[])].filter((scope) => !withheld.has(scope));
    const consentKey = `${this.clientId} ${this.user.sub}`;
    const firstConsent = !this.#consented.has(consentKey);
    this.#consented.add(consentKey);
    const offline = accessType === "offline" && (firstConsent || prompt.includes("consent"));
    const code = opaque("4/0A", 40);
    this.#codes.set(code, {
      grant: this.#newGrant(this.clientId, this.user.sub, granted, false),
      redirectUri,
      challenge,
      method,
      offline,
      nonce: p.get("nonce") ?? undefined,
      expiresAt: now() + CODE_TTL_SECONDS,
      used: false,
    });
    back.searchParams.set("iss", GOOGLE_ISSUER);
    back.searchParams.set("code", code);
    back.searchParams.set("scope", granted.join(" "));
    back.searchParams.set("authuser", "0");
    back.searchParams.set("prompt", prompt.includes("consent") || firstConsent ? "consent" : "none");
    return redirect(response, back);
  }

  // --- OAuth: token endpoint ---------------------------------------------------

  #token(request: IncomingMessage, recorded: StandInRequest, response: ServerResponse) {
    const oauthError = (status: number, error: string, description: string) =>
      sendJson(response, status, { error, error_description: description });
    const form = recorded.form;
    if (form === undefined) return oauthError(400, "invalid_request", "Invalid content type.");
    // The provider under test sends client_secret_post; anything else is a bug to catch here.
    if (request.headers.authorization !== undefined) {
      return oauthError(
        401,
        "invalid_client",
        "Unauthorized (this stand-in takes client_secret_post only: client_id and client_secret in the form body)",
      );
    }
    if (form.client_id !== this.clientId) return oauthError(401, "invalid_client", "The OAuth client was not found.");
    if (form.client_secret !== this.clientSecret) return oauthError(401, "invalid_client", "Unauthorized");

    if (form.grant_type === "authorization_code") {
      this.counters.codeExchanges += 1;
      if (!form.code) return oauthError(400, "invalid_request", "Missing required parameter: code");
      const code = this.#codes.get(form.code);
      if (code === undefined) return oauthError(400, "invalid_grant", "Malformed auth code.");
      if (code.used || code.expiresAt < now()) return oauthError(400, "invalid_grant", "Bad Request");
      code.used = true;
      if (form.redirect_uri !== code.redirectUri) return oauthError(400, "redirect_uri_mismatch", "Bad Request");
      if (code.challenge !== undefined) {
        if (!form.code_verifier) return oauthError(400, "invalid_grant", "Missing code verifier.");
        const computed =
          code.method === "S256"
            ? createHash("sha256").update(form.code_verifier).digest("base64url")
            : form.code_verifier;
        if (computed !== code.challenge) return oauthError(400, "invalid_grant", "Invalid code verifier.");
      }
      const grant = code.grant;
      if (code.offline) {
        grant.refreshToken = opaque("1//0", 48);
        this.#refreshTokens.set(grant.refreshToken, grant);
      }
      const answer: Record<string, unknown> = this.#tokenAnswer(grant, code.nonce);
      if (grant.refreshToken !== undefined) answer.refresh_token = grant.refreshToken;
      return sendJson(response, 200, answer, { "cache-control": "no-cache, no-store, max-age=0, must-revalidate" });
    }

    if (form.grant_type === "refresh_token") {
      this.counters.refreshes += 1;
      const grant = form.refresh_token ? this.#refreshTokens.get(form.refresh_token) : undefined;
      if (grant === undefined || grant.revoked || grant.clientId !== form.client_id) {
        this.counters.refusedRefreshes += 1;
        return oauthError(400, "invalid_grant", "Token has been expired or revoked.");
      }
      // Google's refresh answer carries no refresh_token: the old one stays valid.
      return sendJson(response, 200, this.#tokenAnswer(grant, undefined), {
        "cache-control": "no-cache, no-store, max-age=0, must-revalidate",
      });
    }
    return oauthError(400, "unsupported_grant_type", `Invalid grant_type: ${form.grant_type ?? ""}`);
  }

  #tokenAnswer(grant: Grant, nonce: string | undefined): Record<string, unknown> {
    const accessToken = this.#newAccessToken(grant, this.accessTokenLifetime);
    const answer: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: this.accessTokenLifetime,
      scope: grant.scopes.join(" "),
      token_type: "Bearer",
    };
    if (grant.scopes.includes("openid")) answer.id_token = this.#idToken(grant, accessToken, nonce);
    return answer;
  }

  #idToken(grant: Grant, accessToken: string, nonce: string | undefined): string {
    const iat = now();
    const digest = createHash("sha256").update(accessToken).digest();
    const claims: Record<string, unknown> = {
      iss: this.idTokenIssuer,
      azp: grant.clientId,
      aud: grant.clientId,
      sub: grant.sub,
      at_hash: b64url(digest.subarray(0, digest.length / 2)),
      iat,
      exp: iat + 3599,
      ...this.#profileClaims(grant),
    };
    if (nonce !== undefined) claims.nonce = nonce;
    const header = { alg: "RS256", kid: this.#kid, typ: "JWT" };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign("sha256", Buffer.from(input), this.#signingKey))}`;
  }

  #profileClaims(grant: Grant): Record<string, unknown> {
    const user = this.user.sub === grant.sub ? this.user : { sub: grant.sub, name: "" };
    const claims: Record<string, unknown> = {};
    if (grant.scopes.includes(PROFILE)) {
      claims.name = user.name;
      if (user.picture) claims.picture = user.picture;
      if (user.givenName) claims.given_name = user.givenName;
      if (user.familyName) claims.family_name = user.familyName;
    }
    if (grant.scopes.includes(EMAIL) && user.email) {
      claims.email = user.email;
      claims.email_verified = true;
    }
    return claims;
  }

  // --- OAuth: userinfo and revocation -----------------------------------------------

  #userinfo(request: IncomingMessage, response: ServerResponse) {
    const token = this.#validToken(request);
    if (token === undefined) {
      return sendJson(
        response,
        401,
        { error: "invalid_request", error_description: "Invalid Credentials" },
        { "www-authenticate": `Bearer realm="${GOOGLE_ISSUER}/", error="invalid_token"` },
      );
    }
    sendJson(response, 200, { sub: token.grant.sub, ...this.#profileClaims(token.grant) });
  }

  #revoke(recorded: StandInRequest, url: URL, response: ServerResponse) {
    this.counters.revocations += 1;
    const token = recorded.form?.token ?? url.searchParams.get("token") ?? "";
    const grant = this.#refreshTokens.get(token) ?? this.#accessTokens.get(token)?.grant;
    if (grant === undefined || grant.revoked) {
      return sendJson(response, 400, { error: "invalid_token", error_description: "Token expired or revoked" });
    }
    grant.revoked = true;
    sendJson(response, 200, {});
  }

  // --- Drive API -----------------------------------------------------------------

  /** The caller's valid access token, or a Google error answer and `undefined`. */
  #apiToken(request: IncomingMessage, response: ServerResponse): AccessToken | undefined {
    const header = request.headers.authorization;
    if (header === undefined) {
      driveError(
        response,
        403,
        "PERMISSION_DENIED",
        "forbidden",
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
      return undefined;
    }
    const token = this.#validToken(request);
    if (token === undefined) {
      driveError(
        response,
        401,
        "UNAUTHENTICATED",
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        { location: "Authorization", locationType: "header", errorMessage: "Invalid Credentials" },
        { "www-authenticate": `Bearer realm="${GOOGLE_ISSUER}/", error="invalid_token"` },
      );
    }
    return token;
  }

  #validToken(request: IncomingMessage): AccessToken | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(String(request.headers.authorization ?? ""));
    const token = match ? this.#accessTokens.get(match[1] as string) : undefined;
    if (token === undefined || token.grant.revoked || token.expiresAt <= now()) return undefined;
    return token;
  }

  /** Whether the token may see `file` (its owner's, and with drive.file only the app's files). */
  #visible(token: AccessToken, file: StandInFile): boolean {
    if (file.owner !== token.grant.sub) return false;
    const scopes = token.grant.scopes;
    return (
      scopes.includes(DRIVE_FULL) ||
      scopes.includes(DRIVE_READONLY) ||
      (scopes.includes(DRIVE_FILE) && file.visibleToApp)
    );
  }

  #hasScope(token: AccessToken, response: ServerResponse, write: boolean): boolean {
    const scopes = token.grant.scopes;
    const ok = write
      ? scopes.includes(DRIVE_FULL) || scopes.includes(DRIVE_FILE)
      : scopes.includes(DRIVE_FULL) || scopes.includes(DRIVE_FILE) || scopes.includes(DRIVE_READONLY);
    if (!ok) {
      driveError(
        response,
        403,
        "PERMISSION_DENIED",
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        {
          errorMessage: "Insufficient Permission",
        },
      );
    }
    return ok;
  }

  #listFiles(token: AccessToken, url: URL, response: ServerResponse) {
    if (!this.#hasScope(token, response, false)) return;
    const p = url.searchParams;
    const invalid = (location: string, message = "Invalid Value") =>
      driveError(response, 400, "INVALID_ARGUMENT", "invalid", message, { location, locationType: "parameter" });
    const pageSize = p.has("pageSize") ? Number(p.get("pageSize")) : 100;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      return invalid("pageSize", `Invalid value '${p.get("pageSize")}'. Values must be within the range: [1, 1000]`);
    }
    let matches: (file: StandInFile) => boolean = () => true;
    const q = p.get("q");
    if (q !== null) {
      const parsed = parseQuery(q);
      if (parsed === undefined) return invalid("q");
      matches = parsed;
    }
    const orderBy = p.get("orderBy");
    let order: ((a: StandInFile, b: StandInFile) => number) | undefined;
    if (orderBy !== null) {
      if (q !== null && /\bfullText\b/.test(q)) {
        return driveError(
          response,
          403,
          "PERMISSION_DENIED",
          "forbidden",
          "Sorting is not supported for queries with fullText terms. Results are always in descending relevance order.",
        );
      }
      order = parseOrderBy(orderBy);
      if (order === undefined) return invalid("orderBy", `Invalid field selection ${orderBy}`);
    }
    const fields = p.get("fields");
    const selector = fields === null ? undefined : parseFields(fields);
    if (fields !== null && selector === undefined) return invalid("fields", "Invalid field selection");
    let offset = 0;
    const pageToken = p.get("pageToken");
    if (pageToken !== null) {
      const decoded = decodePageToken(pageToken, q ?? "");
      if (decoded === undefined) return invalid("pageToken");
      offset = decoded;
    }
    let found = [...this.files.values()].filter((file) => this.#visible(token, file) && matches(file));
    if (order) found = found.sort(order);
    const page = found.slice(offset, offset + pageSize);
    const answer: Record<string, unknown> = {
      kind: "drive#fileList",
      incompleteSearch: false,
      files: page.map((file) => ({ kind: "drive#file", id: file.id, name: file.name, mimeType: file.mimeType })),
    };
    if (offset + pageSize < found.length) answer.nextPageToken = encodePageToken(offset + pageSize, q ?? "");
    if (selector !== undefined) {
      answer.files = page.map((file) => resource(file));
      return sendJson(response, 200, select(answer, selector));
    }
    sendJson(response, 200, answer);
  }

  #findFile(token: AccessToken, id: string, response: ServerResponse): StandInFile | undefined {
    const file = this.files.get(id);
    if (file === undefined || !this.#visible(token, file)) {
      driveError(response, 404, "NOT_FOUND", "notFound", `File not found: ${id}.`, {
        location: "fileId",
        locationType: "parameter",
      });
      return undefined;
    }
    return file;
  }

  #getFile(token: AccessToken, id: string, url: URL, response: ServerResponse) {
    if (!this.#hasScope(token, response, false)) return;
    const file = this.#findFile(token, id, response);
    if (file === undefined) return;
    if (url.searchParams.get("alt") === "media") {
      if (file.content === undefined) {
        return driveError(
          response,
          403,
          "PERMISSION_DENIED",
          "fileNotDownloadable",
          "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
          { location: "alt", locationType: "parameter" },
        );
      }
      response.writeHead(200, { "content-type": file.mimeType, "content-length": String(file.content.byteLength) });
      response.end(file.content);
      return;
    }
    const fields = url.searchParams.get("fields");
    if (fields === null)
      return sendJson(response, 200, { kind: "drive#file", id: file.id, name: file.name, mimeType: file.mimeType });
    const selector = parseFields(fields);
    if (selector === undefined) {
      return driveError(response, 400, "INVALID_ARGUMENT", "invalid", "Invalid field selection", {
        location: "fields",
        locationType: "parameter",
      });
    }
    sendJson(response, 200, select(resource(file), selector));
  }

  #exportFile(token: AccessToken, id: string, url: URL, response: ServerResponse) {
    if (!this.#hasScope(token, response, false)) return;
    const file = this.#findFile(token, id, response);
    if (file === undefined) return;
    const type = url.searchParams.get("mimeType");
    if (!type) {
      return driveError(response, 400, "INVALID_ARGUMENT", "required", "Required parameter: mimeType", {
        location: "mimeType",
        locationType: "parameter",
      });
    }
    if (!file.mimeType.startsWith(GOOGLE_APPS) || file.exports === undefined) {
      return driveError(
        response,
        403,
        "PERMISSION_DENIED",
        "fileNotExportable",
        "Export only supports Docs Editors files.",
      );
    }
    const text = file.exports[type];
    if (text === undefined) {
      return driveError(response, 400, "INVALID_ARGUMENT", "badRequest", "The requested conversion is not supported.", {
        location: "convertTo",
        locationType: "parameter",
      });
    }
    const bytes = Buffer.from(text, "utf8");
    if (bytes.byteLength > EXPORT_LIMIT) {
      return driveError(
        response,
        403,
        "PERMISSION_DENIED",
        "exportSizeLimitExceeded",
        "This file is too large to be exported.",
      );
    }
    response.writeHead(200, { "content-type": type, "content-length": String(bytes.byteLength) });
    response.end(bytes);
  }

  #upload(
    token: AccessToken,
    request: IncomingMessage,
    body: Buffer,
    url: URL,
    recorded: StandInRequest,
    response: ServerResponse,
  ) {
    if (!this.#hasScope(token, response, true)) return;
    const bad = (reason: string, message: string, status = 400) =>
      driveError(response, status, status === 400 ? "INVALID_ARGUMENT" : "FAILED_PRECONDITION", reason, message);
    const uploadType = url.searchParams.get("uploadType");
    if (uploadType !== "multipart") {
      return bad(
        "invalid",
        uploadType === null
          ? "Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/"
          : `This stand-in implements uploadType=multipart only, not ${uploadType}`,
      );
    }
    const contentType = String(request.headers["content-type"] ?? "");
    const boundary = /^multipart\/related\s*;.*\bboundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
    if (boundary === null) return bad("badContent", "Bad content type. Please use multipart.");
    if (body.byteLength > MULTIPART_LIMIT + 64 * 1024) return bad("uploadTooLarge", "Request Too Large", 413);
    const parts = parseMultipart(body, (boundary[1] ?? boundary[2]) as string);
    if (parts === undefined || parts.length !== 2) return bad("badContent", "Malformed multipart body.");
    recorded.multipart = parts.map((part) => ({ headers: part.headers, body: part.body.toString("utf8") }));
    const [metaPart, mediaPart] = parts as [Part, Part];
    if (!/^application\/json\b/i.test(metaPart.headers["content-type"] ?? "")) {
      return bad("badContent", "Malformed multipart body: the first part must be the JSON metadata.");
    }
    let metadata: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(metaPart.body.toString("utf8"));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      metadata = parsed as Record<string, unknown>;
    } catch {
      return bad("parseError", "Parse Error");
    }
    const parents = metadata.parents ?? ["root"];
    if (!Array.isArray(parents) || parents.some((id) => typeof id !== "string")) return bad("invalid", "Invalid Value");
    for (const parent of parents as string[]) {
      const folder = this.files.get(parent);
      if (parent !== "root" && (folder === undefined || folder.mimeType !== FOLDER || !this.#visible(token, folder))) {
        return driveError(response, 404, "NOT_FOUND", "notFound", `File not found: ${parent}.`, {
          location: "fileId",
          locationType: "parameter",
        });
      }
    }
    const mediaType = (mediaPart.headers["content-type"] ?? "application/octet-stream").split(";")[0]?.trim() as string;
    const file = this.addFile({
      name: typeof metadata.name === "string" ? metadata.name : "Untitled",
      mimeType: typeof metadata.mimeType === "string" ? metadata.mimeType : mediaType,
      content: mediaPart.body,
      parents: parents as string[],
      owner: token.grant.sub,
      visibleToApp: true,
    });
    const fields = url.searchParams.get("fields");
    const selector = fields === null ? undefined : parseFields(fields);
    if (fields !== null && selector === undefined) return bad("invalid", "Invalid field selection");
    sendJson(
      response,
      200,
      selector === undefined
        ? { kind: "drive#file", id: file.id, name: file.name, mimeType: file.mimeType }
        : select(resource(file), selector),
    );
  }

  // --- bookkeeping -----------------------------------------------------------------

  #newGrant(clientId: string, sub: string, scopes: string[], revoked: boolean): Grant {
    const grant: Grant = {
      id: randomBytes(8).toString("hex"),
      clientId,
      sub,
      scopes,
      refreshToken: undefined,
      revoked,
    };
    this.#grants.push(grant);
    return grant;
  }

  #newAccessToken(grant: Grant, lifetime: number): string {
    const token = opaque("ya29.", 48);
    this.#accessTokens.set(token, { grant, expiresAt: now() + lifetime });
    return token;
  }
}

/** Starts a stand-in on a free 127.0.0.1 port. */
export function startGoogleStandIn(options: GoogleStandInOptions = {}): Promise<GoogleStandIn> {
  return new GoogleStandIn(options).listen();
}

// --- helpers ---------------------------------------------------------------------------

function driveId(): string {
  return `1${randomBytes(24).toString("base64url")}`;
}

/** Google's full scope name for a requested one; `undefined` for a scope Google does not know. */
function normalizeScope(scope: string): string | undefined {
  if (scope === "openid") return scope;
  if (scope === "profile") return PROFILE;
  if (scope === "email") return EMAIL;
  if (scope.startsWith(SCOPE_PREFIX) && scope.length > SCOPE_PREFIX.length) return scope;
  return undefined;
}

/** The file as a Drive `File` resource (every field this stand-in knows). */
function resource(file: StandInFile): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: "drive#file",
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    parents: file.parents,
    trashed: file.trashed,
    createdTime: file.createdTime,
    modifiedTime: file.modifiedTime,
    webViewLink: file.mimeType.startsWith(GOOGLE_APPS)
      ? `https://docs.google.com/document/d/${file.id}/edit?usp=drivesdk`
      : `https://drive.google.com/file/d/${file.id}/view?usp=drivesdk`,
  };
  // int64 values are JSON strings in Google APIs; Docs Editors files have no size.
  if (file.content !== undefined) out.size = String(file.content.byteLength);
  return out;
}

/** A partial-response selector: field name → nested selector (or `true` for the whole value). */
type Selector = Map<string, Selector | true> | "*";

/** Parses Drive's `fields` syntax: `nextPageToken,files(id,name)`, `id,name`, `*`. */
function parseFields(spec: string): Selector | undefined {
  let i = 0;
  const parseList = (): Selector | undefined => {
    const out = new Map<string, Selector | true>();
    for (;;) {
      const m = /^\s*(\*|[A-Za-z][A-Za-z0-9]*(?:\/[A-Za-z][A-Za-z0-9]*)*)\s*/.exec(spec.slice(i));
      if (m === null) return undefined;
      i += m[0].length;
      const name = m[1] as string;
      if (name === "*") return "*";
      let nested: Selector | true = true;
      if (spec[i] === "(") {
        i += 1;
        const inner = parseList();
        if (inner === undefined || spec[i] !== ")") return undefined;
        i += 1;
        nested = inner;
      }
      // `a/b` is the same as `a(b)`.
      const [head, ...rest] = name.split("/") as [string, ...string[]];
      out.set(head, rest.length === 0 ? nested : (new Map([[rest.join("/"), nested]]) as Selector));
      while (spec[i] === " ") i += 1;
      if (spec[i] !== ",") return out;
      i += 1;
    }
  };
  const result = parseList();
  return result !== undefined && i === spec.length ? result : undefined;
}

function select(value: unknown, selector: Selector | true): unknown {
  if (selector === true || selector === "*") return value;
  if (Array.isArray(value)) return value.map((item) => select(item, selector));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [name, nested] of selector) {
    const field = (value as Record<string, unknown>)[name];
    if (field !== undefined) out[name] = select(field, nested);
  }
  return out;
}

function parseOrderBy(spec: string): ((a: StandInFile, b: StandInFile) => number) | undefined {
  const keys: { field: "name" | "modifiedTime" | "createdTime"; desc: boolean }[] = [];
  for (const part of spec.split(",")) {
    const m = /^\s*(name|modifiedTime|createdTime)(\s+desc)?\s*$/.exec(part);
    if (m === null) return undefined;
    keys.push({ field: m[1] as "name" | "modifiedTime" | "createdTime", desc: m[2] !== undefined });
  }
  return (a, b) => {
    for (const { field, desc } of keys) {
      const c = a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0;
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  };
}

function encodePageToken(offset: number, q: string): string {
  return `~!!~${b64url(JSON.stringify({ o: offset, q: createHash("sha256").update(q).digest("hex").slice(0, 16) }))}`;
}

function decodePageToken(token: string, q: string): number | undefined {
  if (!token.startsWith("~!!~")) return undefined;
  try {
    const { o, q: hash } = JSON.parse(Buffer.from(token.slice(4), "base64url").toString("utf8")) as {
      o: unknown;
      q: unknown;
    };
    const expected = createHash("sha256").update(q).digest("hex").slice(0, 16);
    return typeof o === "number" && Number.isInteger(o) && o >= 0 && hash === expected ? o : undefined;
  } catch {
    return undefined;
  }
}

// --- Drive's search query language (the part the tools and tests use) -----------------

type Token = { kind: "word"; value: string } | { kind: "string"; value: string } | { kind: "op"; value: string };

function tokenize(q: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] as string;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "'") {
      let value = "";
      i += 1;
      for (;;) {
        if (i >= q.length) return undefined;
        const d = q[i] as string;
        if (d === "\\") {
          const next = q[i + 1];
          if (next === undefined) return undefined;
          value += next;
          i += 2;
        } else if (d === "'") {
          i += 1;
          break;
        } else {
          value += d;
          i += 1;
        }
      }
      tokens.push({ kind: "string", value });
    } else if (c === "(" || c === ")" || c === "=") {
      tokens.push({ kind: "op", value: c });
      i += 1;
    } else if (c === "!" && q[i + 1] === "=") {
      tokens.push({ kind: "op", value: "!=" });
      i += 2;
    } else {
      const m = /^[A-Za-z][A-Za-z0-9_]*/.exec(q.slice(i));
      if (m === null) return undefined;
      tokens.push({ kind: "word", value: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

type Matcher = (file: StandInFile) => boolean;

/** A matcher for `q`, or `undefined` when Drive would answer "Invalid Value". */
function parseQuery(q: string): Matcher | undefined {
  const tokens = tokenize(q);
  if (tokens === undefined || tokens.length === 0) return undefined;
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (t: Token | undefined, value: string) => t?.kind === "word" && t.value.toLowerCase() === value;
  const isOp = (t: Token | undefined, value: string) => t?.kind === "op" && t.value === value;

  const clause = (): Matcher | undefined => {
    const first = tokens[i++];
    if (first === undefined) return undefined;
    if (first.kind === "string") {
      // 'folderId' in parents
      if (!isWord(tokens[i], "in") || !isWord(tokens[i + 1], "parents")) return undefined;
      i += 2;
      return (file) => file.parents.includes(first.value);
    }
    if (first.kind !== "word") return undefined;
    const field = first.value;
    const op = tokens[i++];
    const value = tokens[i++];
    if (op === undefined || value === undefined) return undefined;
    const opName = op.kind === "op" ? op.value : op.value.toLowerCase();
    if (field === "trashed") {
      if (value.kind !== "word" || !["true", "false"].includes(value.value) || (opName !== "=" && opName !== "!=")) {
        return undefined;
      }
      const wanted = value.value === "true";
      return (file) => (file.trashed === wanted) === (opName === "=");
    }
    if (value.kind !== "string") return undefined;
    const text = value.value;
    if (field === "name") {
      if (opName === "=") return (file) => file.name === text;
      if (opName === "!=") return (file) => file.name !== text;
      // Drive's `name contains` matches word prefixes: 'Hello' finds HelloWorld, 'World' does not.
      if (opName === "contains") {
        const prefix = text.toLowerCase();
        return (file) =>
          file.name
            .toLowerCase()
            .split(/[^\p{L}\p{N}]+/u)
            .some((word) => word.startsWith(prefix));
      }
      return undefined;
    }
    if (field === "mimeType") {
      if (opName === "=") return (file) => file.mimeType === text;
      if (opName === "!=") return (file) => file.mimeType !== text;
      if (opName === "contains") return (file) => file.mimeType.includes(text);
      return undefined;
    }
    if (field === "fullText" && opName === "contains") {
      const needle = text.toLowerCase();
      return (file) =>
        file.name.toLowerCase().includes(needle) ||
        (file.content?.toString("utf8").toLowerCase().includes(needle) ?? false) ||
        Object.values(file.exports ?? {}).some((t) => t.toLowerCase().includes(needle));
    }
    return undefined;
  };

  const unary = (): Matcher | undefined => {
    if (isWord(peek(), "not")) {
      i += 1;
      const inner = unary();
      return inner === undefined ? undefined : (file) => !inner(file);
    }
    if (isOp(peek(), "(")) {
      i += 1;
      const inner = or();
      if (inner === undefined || !isOp(peek(), ")")) return undefined;
      i += 1;
      return inner;
    }
    return clause();
  };
  const and = (): Matcher | undefined => {
    let left = unary();
    while (left !== undefined && isWord(peek(), "and")) {
      i += 1;
      const right = unary();
      if (right === undefined) return undefined;
      const l = left;
      left = (file) => l(file) && right(file);
    }
    return left;
  };
  const or = (): Matcher | undefined => {
    let left = and();
    while (left !== undefined && isWord(peek(), "or")) {
      i += 1;
      const right = and();
      if (right === undefined) return undefined;
      const l = left;
      left = (file) => l(file) || right(file);
    }
    return left;
  };
  const matcher = or();
  return matcher !== undefined && i === tokens.length ? matcher : undefined;
}

// --- HTTP ----------------------------------------------------------------------------

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** The parts of a multipart body, or `undefined` when it is malformed (RFC 2046 §5.1.1). */
function parseMultipart(body: Buffer, boundary: string): Part[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at === -1) return undefined;
  const parts: Part[] = [];
  for (;;) {
    at += delimiter.length;
    // The closing delimiter: `--boundary--`.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts;
    // Transport padding, then CRLF.
    while (body[at] === 0x20 || body[at] === 0x09) at += 1;
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) return undefined;
    at += 2;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), at);
    if (next === -1) return undefined;
    const raw = body.subarray(at, next);
    let headerText: string;
    let content: Buffer;
    if (raw[0] === 0x0d && raw[1] === 0x0a) {
      // A part without headers starts with the empty line.
      headerText = "";
      content = raw.subarray(2);
    } else {
      const split = raw.indexOf("\r\n\r\n");
      if (split === -1) return undefined;
      headerText = raw.subarray(0, split).toString("utf8");
      content = raw.subarray(split + 4);
    }
    const headers: Record<string, string> = {};
    for (const line of headerText.split("\r\n")) {
      if (line === "") continue;
      const colon = line.indexOf(":");
      if (colon <= 0) return undefined;
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: Buffer.from(content) });
    at = next + 2;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > BODY_LIMIT) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(JSON.stringify(body));
}

function redirect(response: ServerResponse, location: URL): void {
  response.writeHead(302, { location: location.href, "content-type": "text/html; charset=UTF-8" });
  response.end();
}

/** Google's JSON error format. */
function driveError(
  response: ServerResponse,
  code: number,
  status: string,
  reason: string,
  message: string,
  extra: { location?: string; locationType?: string; errorMessage?: string } = {},
  headers: Record<string, string> = {},
): void {
  const detail: Record<string, unknown> = { message: extra.errorMessage ?? message, domain: "global", reason };
  if (extra.location !== undefined) detail.location = extra.location;
  if (extra.locationType !== undefined) detail.locationType = extra.locationType;
  sendJson(response, code, { error: { code, message, errors: [detail], status } }, headers);
}
