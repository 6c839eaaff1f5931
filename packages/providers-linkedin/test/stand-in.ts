/**
 * A local LinkedIn for tests: speaks the HTTP of the endpoints we use, as
 * LinkedIn documents them and as it behaves, quirks included.
 *
 * - `GET /oauth/v2/authorization`: a signed-in member who approves (or
 *   cancels, with LinkedIn's `user_cancelled_*` codes): 302 to the
 *   redirect URI with `code` and `state`. Unknown client or redirect URI: an
 *   error page, no redirect. A scope the app lacks: `unauthorized_scope_error`.
 * - `POST /oauth/v2/accessToken`: `client_id` and `client_secret` in the form
 *   body only; a `code_verifier` (PKCE) is refused with `invalid_client`; codes
 *   are single-use and live 30 minutes; a refused code is `invalid_request`.
 *   The answer: `access_token`, `expires_in` (60 days), `scope` with commas,
 *   `token_type` (switchable off, as LinkedIn sometimes leaves it out) and an
 *   RS256 `id_token` (iss `https://www.linkedin.com/oauth`) for `openid`;
 *   `refresh_token` + `refresh_token_expires_in` only for apps with
 *   programmatic refresh tokens.
 * - `GET /v2/userinfo`: the OpenID claims for a bearer token with `openid`.
 * - `POST /rest/posts`: needs `LinkedIn-Version` (an active YYYYMM),
 *   `X-Restli-Protocol-Version: 2.0.0`, a bearer token with `w_member_social`,
 *   the member's own person URN as author and the documented body; answers
 *   201 with an empty body and the post URN in `x-restli-id`.
 * - REST errors are `{ status, serviceErrorCode, code, message }`; OAuth errors
 *   `{ error, error_description }`.
 */
import { generateKeyPairSync, type KeyObject, randomBytes, randomInt, sign } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type LoopbackServer, listenOnLoopback } from "../../oauth/test/helpers/loopback-server.js";

/** LinkedIn's ID token issuer. */
export const STAND_IN_ISSUER = "https://www.linkedin.com/oauth";
/** What LinkedIn grants apps with both self-serve products. */
const GRANTABLE_SCOPES = new Set(["openid", "profile", "email", "w_member_social"]);
const DAY = 24 * 60 * 60;

/** The member who signs in. */
export interface StandInMember {
  sub: string;
  name: string;
  givenName: string;
  familyName: string;
  email: string;
  picture: string;
}

export interface LinkedInStandInOptions {
  clientId: string;
  clientSecret: string;
  /** The app's "Authorized redirect URLs"; default: any URL is accepted. */
  redirectUris?: string[];
  member?: Partial<StandInMember>;
  /** Seconds an access token lives. Default 60 days, as at LinkedIn. */
  accessTokenLifetime?: number;
  /** Whether the app has programmatic refresh tokens. Default `false` (most apps). */
  refreshTokens?: boolean;
  /** Whether token answers carry `token_type`. Default `true`. */
  tokenType?: boolean;
  /** The ID tokens' `iss`. Default LinkedIn's. */
  issuer?: string;
}

/** One post LinkedIn accepted. */
export interface StandInPost {
  id: string;
  /** The `LinkedIn-Version` it was sent with. */
  version: string;
  body: Record<string, unknown>;
}

/** How a token request authenticated the client. */
export type ClientAuthSeen = "client_secret_post" | "client_secret_basic" | "none";

/** One token request, as received. */
export interface TokenRequestSeen {
  grantType: string;
  clientAuth: ClientAuthSeen;
  /** Whether it carried a PKCE `code_verifier`. */
  codeVerifier: boolean;
  status: number;
}

interface Grant {
  sub: string;
  scopes: string[];
  expiresAt: number;
}

const now = () => Math.floor(Date.now() / 1000);
const opaque = (prefix: string) => `${prefix}${randomBytes(24).toString("base64url")}`;
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export class LinkedInStandIn {
  /** The stand-in's origin, `http://127.0.0.1:<port>`: `LINKEDIN_UPSTREAM_URL`. */
  url = "";
  readonly clientId: string;
  readonly clientSecret: string;
  readonly member: StandInMember;
  accessTokenLifetime: number;
  refreshTokens: boolean;
  tokenType: boolean;
  issuer: string;
  /** What the next member at the authorization page does. */
  nextDecision: "approve" | "user_cancelled_authorize" | "user_cancelled_login" = "approve";
  /** Token requests served per grant type, successful or not. */
  readonly counters = { authorization_code: 0, refresh_token: 0 };
  readonly tokenRequests: TokenRequestSeen[] = [];
  /** The query of every authorization request. */
  readonly authorizationRequests: URLSearchParams[] = [];
  readonly posts: StandInPost[] = [];
  /** Every access and refresh token issued, and every code (none may appear in a log). */
  readonly secrets: string[] = [];
  /** Versions before this are retired (HTTP 426). */
  oldestActiveVersion = "202501";

  readonly #redirectUris: Set<string> | undefined;
  readonly #codes = new Map<string, Grant & { redirectUri: string; clientId: string }>();
  readonly #accessTokens = new Map<string, Grant>();
  readonly #refreshTokens = new Map<string, Grant>();
  readonly #key: KeyObject;
  readonly #publicKey: KeyObject;
  readonly #kid = randomBytes(8).toString("hex");
  #server: LoopbackServer | undefined;

  private constructor(options: LinkedInStandInOptions) {
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.#redirectUris = options.redirectUris ? new Set(options.redirectUris) : undefined;
    this.member = {
      sub: "782bbtaQ",
      name: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      email: "ada@example.com",
      picture: "https://media.licdn.example/dms/image/ada.jpg",
      ...options.member,
    };
    this.accessTokenLifetime = options.accessTokenLifetime ?? 60 * DAY;
    this.refreshTokens = options.refreshTokens ?? false;
    this.tokenType = options.tokenType ?? true;
    this.issuer = options.issuer ?? STAND_IN_ISSUER;
    const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.#key = keys.privateKey;
    this.#publicKey = keys.publicKey;
  }

  /** Starts a stand-in on 127.0.0.1 on a free port. */
  static async start(options: LinkedInStandInOptions): Promise<LinkedInStandIn> {
    const standIn = new LinkedInStandIn(options);
    const server = createServer((req, res) => {
      standIn.#route(req, res).catch(() => {
        if (!res.headersSent) json(res, 500, { status: 500, code: "INTERNAL_SERVER_ERROR", message: "Internal error" });
      });
    });
    standIn.#server = await listenOnLoopback(server);
    standIn.url = standIn.#server.origin;
    return standIn;
  }

  async close(): Promise<void> {
    await this.#server?.close();
  }

  /** Makes every access token issued so far expired (as 60 days passing would). Returns how many. */
  expireAccessTokens(): number {
    for (const grant of this.#accessTokens.values()) grant.expiresAt = now() - 1;
    return this.#accessTokens.size;
  }

  /** Makes every refresh token issued so far expired (as a year passing would). */
  expireRefreshTokens(): void {
    for (const grant of this.#refreshTokens.values()) grant.expiresAt = now() - 1;
  }

  /** Issues an access token directly (for API tests that skip the sign-in). */
  issueAccessToken(scopes: string[] = [...GRANTABLE_SCOPES], lifetime = this.accessTokenLifetime): string {
    const token = opaque("AQV");
    this.secrets.push(token);
    this.#accessTokens.set(token, { sub: this.member.sub, scopes, expiresAt: now() + lifetime });
    return token;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /oauth/v2/authorization") return this.#authorize(url, res);
    if (route === "POST /oauth/v2/accessToken") return this.#token(req, res);
    if (route === "GET /v2/userinfo") return this.#userinfo(req, res);
    if (route === "POST /rest/posts") return this.#createPost(req, res);
    if (route === "GET /oauth/openid/jwks") {
      return json(res, 200, {
        keys: [{ ...this.#publicKey.export({ format: "jwk" }), kid: this.#kid, alg: "RS256", use: "sig" }],
      });
    }
    return json(res, 404, { status: 404, code: "RESOURCE_NOT_FOUND", message: `No route ${route}` });
  }

  #authorize(url: URL, res: ServerResponse): undefined {
    const q = url.searchParams;
    this.authorizationRequests.push(q);
    const redirectUri = q.get("redirect_uri") ?? "";
    // LinkedIn shows an error page, and sends nobody anywhere, for a bad client or redirect URI.
    if (q.get("client_id") !== this.clientId) return page(res, 400, "The application could not be found (client_id).");
    if (!isHttpUrl(redirectUri) || (this.#redirectUris && !this.#redirectUris.has(redirectUri))) {
      return page(res, 400, "The redirect_uri does not match the registered value");
    }
    const back = new URL(redirectUri);
    const state = q.get("state");
    if (state !== null) back.searchParams.set("state", state);
    const fail = (error: string, description: string): undefined => {
      back.searchParams.set("error", error);
      back.searchParams.set("error_description", description);
      return redirect(res, back);
    };
    if (q.get("response_type") !== "code") {
      return fail("unsupported_response_type", 'We only support a response_type of "code"');
    }
    const scopes = (q.get("scope") ?? "").split(/[ ,]+/).filter(Boolean);
    const unknown = scopes.find((s) => !GRANTABLE_SCOPES.has(s));
    if (unknown !== undefined)
      return fail("unauthorized_scope_error", `Scope "${unknown}" is not authorized for your application`);
    if (scopes.length === 0) return fail("invalid_request", "The scope parameter is missing");
    if (this.nextDecision !== "approve") {
      const decision = this.nextDecision;
      this.nextDecision = "approve";
      return fail(decision, "The member declined");
    }
    const code = opaque("AQT");
    this.secrets.push(code);
    this.#codes.set(code, {
      sub: this.member.sub,
      scopes,
      expiresAt: now() + 30 * 60,
      redirectUri,
      clientId: this.clientId,
    });
    back.searchParams.set("code", code);
    redirect(res, back);
  }

  async #token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const grantType = form.get("grant_type") ?? "";
    const basic = (req.headers.authorization ?? "").toLowerCase().startsWith("basic ");
    const clientAuth: ClientAuthSeen = form.has("client_secret")
      ? "client_secret_post"
      : basic
        ? "client_secret_basic"
        : "none";
    const seen: TokenRequestSeen = { grantType, clientAuth, codeVerifier: form.has("code_verifier"), status: 0 };
    this.tokenRequests.push(seen);
    if (grantType === "authorization_code" || grantType === "refresh_token") this.counters[grantType]++;
    const answer = (status: number, body: Record<string, unknown>) => {
      seen.status = status;
      json(res, status, body);
    };
    const oauthError = (status: number, error: string, description: string) =>
      answer(status, { error, error_description: description });

    if (!(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return oauthError(400, "invalid_request", "The request must be application/x-www-form-urlencoded");
    }
    // LinkedIn reads the client's credentials from the body only: a Basic header is not looked at.
    for (const name of ["grant_type", "client_id", "client_secret"]) {
      if (!form.get(name)) return oauthError(400, "invalid_request", `A required parameter "${name}" is missing`);
    }
    if (form.get("client_id") !== this.clientId || form.get("client_secret") !== this.clientSecret) {
      return oauthError(401, "invalid_client", "Client authentication failed");
    }
    // Web apps have no PKCE at LinkedIn: a verifier makes it refuse the client.
    if (form.has("code_verifier")) return oauthError(401, "invalid_client", "Client authentication failed");

    if (grantType === "authorization_code") {
      const code = form.get("code") ?? "";
      const pending = this.#codes.get(code);
      this.#codes.delete(code);
      if (!pending || pending.expiresAt <= now() || pending.redirectUri !== form.get("redirect_uri")) {
        return oauthError(
          400,
          "invalid_request",
          "Unable to retrieve access token: the redirect_uri or client does not match the code, or the code expired or was used",
        );
      }
      return answer(200, this.#tokens(pending.sub, pending.scopes, undefined));
    }
    if (grantType === "refresh_token") {
      if (!this.refreshTokens)
        return oauthError(400, "unauthorized_client", "Refresh tokens are not enabled for this application");
      const token = form.get("refresh_token") ?? "";
      const grant = this.#refreshTokens.get(token);
      if (!grant || grant.expiresAt <= now()) {
        return oauthError(400, "invalid_request", "The provided refresh token is invalid, expired or revoked");
      }
      // The refresh token keeps its original expiry; only the access token is new.
      return answer(200, this.#tokens(grant.sub, grant.scopes, token));
    }
    return oauthError(400, "unsupported_grant_type", `Unsupported grant_type ${grantType}`);
  }

  #tokens(sub: string, scopes: string[], refreshToken: string | undefined): Record<string, unknown> {
    const accessToken = this.issueAccessToken(scopes);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: this.accessTokenLifetime,
      // LinkedIn lists granted scopes with commas.
      scope: [...scopes].sort().join(","),
    };
    if (this.tokenType) body.token_type = "Bearer";
    if (this.refreshTokens) {
      const token = refreshToken ?? opaque("AQX");
      if (refreshToken === undefined) this.secrets.push(token);
      const grant = this.#refreshTokens.get(token) ?? { sub, scopes, expiresAt: now() + 365 * DAY };
      this.#refreshTokens.set(token, grant);
      body.refresh_token = token;
      body.refresh_token_expires_in = Math.max(0, grant.expiresAt - now());
    }
    if (scopes.includes("openid")) body.id_token = this.#idToken(sub, scopes);
    return body;
  }

  #idToken(sub: string, scopes: string[]): string {
    const iat = now();
    const claims: Record<string, unknown> = { iss: this.issuer, aud: this.clientId, iat, exp: iat + 3600, sub };
    if (scopes.includes("profile")) {
      Object.assign(claims, {
        name: this.member.name,
        given_name: this.member.givenName,
        family_name: this.member.familyName,
        picture: this.member.picture,
        locale: "en_US",
      });
    }
    if (scopes.includes("email")) Object.assign(claims, { email: this.member.email, email_verified: "true" });
    const input = `${b64url({ typ: "JWT", kid: this.#kid, alg: "RS256" })}.${b64url(claims)}`;
    return `${input}.${sign("sha256", Buffer.from(input), this.#key).toString("base64url")}`;
  }

  /** The bearer token's grant, or the 401 already sent. */
  #bearer(req: IncomingMessage, res: ServerResponse): Grant | undefined {
    const header = req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7) : "";
    const refuse = (serviceErrorCode: number, code: string, message: string) => {
      json(res, 401, { status: 401, serviceErrorCode, code, message });
      return undefined;
    };
    if (token === "") return refuse(65604, "EMPTY_ACCESS_TOKEN", "Empty oauth2_access_token");
    const grant = this.#accessTokens.get(token);
    if (!grant) return refuse(65600, "INVALID_ACCESS_TOKEN", "Invalid access token");
    if (grant.expiresAt <= now())
      return refuse(65601, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired");
    return grant;
  }

  #userinfo(req: IncomingMessage, res: ServerResponse): undefined {
    const grant = this.#bearer(req, res);
    if (!grant) return;
    if (!grant.scopes.includes("openid")) {
      return json(res, 403, {
        status: 403,
        serviceErrorCode: 100,
        code: "ACCESS_DENIED",
        message: "Not enough permissions to access: userinfo.GET.NO_VERSION",
      });
    }
    const info: Record<string, unknown> = { sub: grant.sub };
    if (grant.scopes.includes("profile")) {
      Object.assign(info, {
        name: this.member.name,
        given_name: this.member.givenName,
        family_name: this.member.familyName,
        picture: this.member.picture,
        locale: { country: "US", language: "en" },
      });
    }
    if (grant.scopes.includes("email")) Object.assign(info, { email: this.member.email, email_verified: true });
    json(res, 200, info);
  }

  async #createPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const restError = (status: number, serviceErrorCode: number, code: string, message: string) =>
      json(res, status, { status, serviceErrorCode, code, message });
    const grant = this.#bearer(req, res);
    if (!grant) return;
    const version = String(req.headers["linkedin-version"] ?? "");
    if (version === "") {
      return restError(
        400,
        0,
        "VERSION_MISSING",
        "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
      );
    }
    if (!/^\d{6}$/.test(version) || version < this.oldestActiveVersion) {
      return restError(426, 0, "NONEXISTENT_VERSION", `Requested version ${version} is not active`);
    }
    if (req.headers["x-restli-protocol-version"] !== "2.0.0") {
      return restError(400, 0, "ILLEGAL_ARGUMENT", "The X-Restli-Protocol-Version header must be 2.0.0");
    }
    if (!grant.scopes.includes("w_member_social")) {
      return restError(
        403,
        100,
        "ACCESS_DENIED",
        `Not enough permissions to access: partnerApiPostsExternal.CREATE.${version}`,
      );
    }
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      return restError(415, 0, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return restError(400, 0, "ILLEGAL_ARGUMENT", "Malformed JSON body");
    }
    const problem = postProblem(body);
    if (problem) return restError(422, 0, "UNPROCESSABLE_ENTITY", problem);
    const post = body as Record<string, unknown>;
    if (post.author !== `urn:li:person:${grant.sub}`) {
      return restError(403, 100, "ACCESS_DENIED", "Member is not allowed to post as this author");
    }
    const id = `urn:li:share:${randomInt(10 ** 9, 10 ** 10 - 1)}${randomInt(10 ** 8, 10 ** 9 - 1)}`;
    this.posts.push({ id, version, body: post });
    res.writeHead(201, { "x-restli-id": id });
    res.end();
  }
}

/** What is wrong with a post body, per the Posts API's schema; `undefined` when nothing. */
function postProblem(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "The body must be a JSON object";
  const post = body as Record<string, unknown>;
  if (typeof post.author !== "string" || !/^urn:li:(person|organization):/.test(post.author))
    return "/author must be a person or organization URN";
  if (typeof post.commentary !== "string") return "/commentary must be a string";
  if (post.commentary.length > 3000) return "/commentary is longer than 3000 characters";
  if (!["PUBLIC", "CONNECTIONS", "LOGGED_IN"].includes(post.visibility as string))
    return "/visibility is not a known value";
  const d = post.distribution as Record<string, unknown> | undefined;
  if (
    typeof d !== "object" ||
    d === null ||
    !["MAIN_FEED", "NONE"].includes(d.feedDistribution as string) ||
    !Array.isArray(d.targetEntities) ||
    !Array.isArray(d.thirdPartyDistributionChannels)
  ) {
    return "/distribution must have feedDistribution, targetEntities and thirdPartyDistributionChannels";
  }
  if (post.lifecycleState !== "PUBLISHED") return "/lifecycleState must be PUBLISHED";
  if (typeof post.isReshareDisabledByAuthor !== "boolean") return "/isReshareDisabledByAuthor must be a boolean";
  return undefined;
}

function json(res: ServerResponse, status: number, body: unknown): undefined {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return undefined;
}

function page(res: ServerResponse, status: number, message: string): undefined {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><title>LinkedIn</title><p>${message}</p>`);
  return undefined;
}

function redirect(res: ServerResponse, location: URL): undefined {
  res.writeHead(302, { location: location.href });
  res.end();
  return undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
