/**
 * A stand-in for GitHub on 127.0.0.1: the OAuth web flow
 * (`/login/oauth/authorize`, `/login/oauth/access_token`) and the REST API
 * calls the provider and the ready tools make (`GET /user`, `GET /user/repos`,
 * `POST /repos/{owner}/{repo}/issues`), answering with GitHub's documented
 * shapes and quirks, and checking what it is sent:
 *
 * - authorize: a signed-in user who approves (or, with `decision = "deny"`,
 *   refuses): 302 to the redirect URI with `code` and `state`; the redirect
 *   URI must match the app's callback URL (else `redirect_uri_mismatch`, sent
 *   to the registered callback); PKCE only with `S256`;
 * - token: form-encoded answers unless the request accepts JSON; every error
 *   with HTTP 200 and an `error` field (`incorrect_client_credentials`,
 *   `bad_verification_code`, `redirect_uri_mismatch`, `bad_refresh_token`,
 *   `unverified_user_email`); client id and secret as request parameters;
 *   codes single-use, ten minutes, bound to the redirect URI and PKCE challenge;
 * - two token styles, switchable at any time (`tokenStyle`): `classic`, an
 *   OAuth app's `gho_` tokens that never expire (no `expires_in`, no refresh
 *   token, `scope` comma-separated), and `expiring`, a GitHub App's `ghu_`
 *   tokens (`expires_in` 28800 by default, `ghr_` refresh tokens for
 *   15897600 s, `scope: ""`), where a refresh rotates the refresh token and
 *   ends the old access token;
 * - REST API: requests without `User-Agent` get 403, unsupported `Accept` 415,
 *   no token 401 "Requires authentication", a bad or expired token 401 "Bad
 *   credentials"; errors as `{ message, documentation_url, status }` (404 Not
 *   Found, 410 for disabled issues, 422 Validation Failed with `errors`);
 *   pagination with the `Link` header.
 *
 * It counts token requests and successful refreshes, and records every API
 * request, for the tests' assertions. Nothing here is GitHub's code: it is
 * written from GitHub's public documentation.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type LoopbackServer, listenOnLoopback } from "../../oauth/test/helpers/loopback-server.js";

/** `classic`: an OAuth app's non-expiring tokens. `expiring`: a GitHub App's 8-hour tokens with refresh tokens. */
export type GitHubTokenStyle = "classic" | "expiring";

export interface StandInUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
}

export interface StandInRepository {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  description: string | null;
  /** `false`: issues are disabled (creating one answers 410). */
  hasIssues: boolean;
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
}

export interface StandInIssue {
  repository: string;
  number: number;
  title: string;
  body: string | null;
  /** Who opened it (login). */
  user: string;
}

/** An API request as the stand-in saw it (the token itself is not kept). */
export interface RecordedApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  accept: string | undefined;
  userAgent: string | undefined;
  apiVersion: string | undefined;
  /** `Bearer` or `token` (both are accepted), or undefined without credentials. */
  authScheme: string | undefined;
  /** The index, in `issuedAccessTokens`, of the token presented; -1 when unknown or absent. */
  tokenIndex: number;
}

/** A token request as the stand-in saw it (secrets reduced to whether they were sent). */
export interface RecordedTokenRequest {
  accept: string | undefined;
  userAgent: string | undefined;
  contentType: string | undefined;
  /** Whether an `Authorization` header was sent (GitHub documents body parameters). */
  basicAuth: boolean;
  grantType: string | undefined;
  clientSecretSent: boolean;
  codeVerifierSent: boolean;
  redirectUri: string | undefined;
  /** The `error` answered, if any. */
  error: string | undefined;
}

export interface GitHubStandInOptions {
  clientId?: string;
  clientSecret?: string;
  /** Default `classic`. */
  tokenStyle?: GitHubTokenStyle;
  /** The app's registered callback URL; without one, any redirect URI is accepted. */
  callbackUrl?: string;
  /** The signed-in user. */
  user?: Partial<StandInUser>;
  /** How many extra public repositories the user owns besides the seeded four (for pagination). Default 0. */
  extraRepositories?: number;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  challenge: string | undefined;
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

interface AccessTokenRecord {
  token: string;
  style: GitHubTokenStyle;
  scopes: string[];
  expiresAt: number | undefined;
  active: boolean;
}

interface RefreshTokenRecord {
  expiresAt: number;
  active: boolean;
  accessToken: AccessTokenRecord;
}

/** What the handlers and senders return: nothing, once the answer is sent (so `return send(…)` ends a branch). */
type Sent = undefined;

const DOCS = "https://docs.github.com";
const TOKEN_ERRORS: Record<string, { description: string; uri: string }> = {
  incorrect_client_credentials: {
    description: "The client_id and/or client_secret passed are incorrect.",
    uri: "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials",
  },
  redirect_uri_mismatch: {
    description: "The redirect_uri MUST match the registered callback URL for this application.",
    uri: "/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch2",
  },
  bad_verification_code: {
    description: "The code passed is incorrect or expired.",
    uri: "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
  },
  bad_refresh_token: {
    description: "The refresh token passed is incorrect or expired.",
    uri: "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-refresh-token",
  },
  unverified_user_email: {
    description: "The user must have a verified primary email.",
    uri: "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#unverified-user-email",
  },
  unsupported_grant_type: {
    description: "The grant type is not supported.",
    uri: "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
  },
};
const API_VERSIONS = new Set(["2022-11-28", "2026-03-10"]);
const CODE_LIFETIME = 600;
const REFRESH_TOKEN_LIFETIME = 15_897_600;
const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const now = (): number => Math.floor(Date.now() / 1000);
const randomToken = (prefix: string, length: number): string =>
  prefix + [...randomBytes(length)].map((b) => BASE62[b % 62]).join("");
const s256 = (verifier: string): string => createHash("sha256").update(verifier).digest("base64url");
const splitScopes = (value: string | undefined): string[] => [
  ...new Set((value ?? "").split(/[\s,]+/).filter((s) => s !== "")),
];

export class GitHubStandIn {
  readonly origin: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Which kind of token the next code exchange issues. */
  tokenStyle: GitHubTokenStyle;
  /** Seconds an expiring (`ghu_`) access token lives, as `expires_in` says; GitHub's is 28800. */
  accessTokenLifetime = 28_800;
  /** The app's registered callback URL. */
  callbackUrl: string | undefined;
  /** What the signed-in user answers on the authorization page. */
  decision: "approve" | "deny" = "approve";
  /** `false`: GitHub refuses tokens to this user (`unverified_user_email`). */
  emailVerified = true;
  readonly user: StandInUser;
  readonly repositories: StandInRepository[];
  readonly issues: StandInIssue[] = [];
  /** Token requests served, by grant (successful or not), and successful refreshes. */
  readonly counters = { authorize: 0, authorization_code: 0, refresh_token: 0, refreshed: 0 };
  readonly tokenRequests: RecordedTokenRequest[] = [];
  readonly apiRequests: RecordedApiRequest[] = [];
  /** Every access token issued, in order (tests use them to call the stand-in directly). */
  readonly issuedAccessTokens: string[] = [];
  /** The scopes asked for at each authorization. */
  readonly requestedScopes: string[][] = [];

  readonly #server: LoopbackServer;
  readonly #codes = new Map<string, CodeRecord>();
  readonly #accessTokens = new Map<string, AccessTokenRecord>();
  readonly #refreshTokens = new Map<string, RefreshTokenRecord>();

  private constructor(server: LoopbackServer, options: GitHubStandInOptions) {
    this.#server = server;
    this.origin = server.origin;
    this.clientId = options.clientId ?? "Ov23liStandInClient01";
    this.clientSecret = options.clientSecret ?? "stand-in-client-secret-0123456789abcdef";
    this.tokenStyle = options.tokenStyle ?? "classic";
    this.callbackUrl = options.callbackUrl;
    this.user = {
      id: 583231,
      login: "octocat",
      name: "The Octocat",
      email: "octocat@github.example",
      ...options.user,
    };
    const login = this.user.login;
    const day = (d: number) => new Date(Date.UTC(2024, 0, d)).toISOString().replace(".000", "");
    const repo = (id: number, owner: string, name: string, extra: Partial<StandInRepository>): StandInRepository => ({
      id,
      owner,
      name,
      private: false,
      description: null,
      hasIssues: true,
      createdAt: day(id % 28 || 1),
      updatedAt: day((id * 7) % 28 || 2),
      pushedAt: day((id * 3) % 28 || 3),
      ...extra,
    });
    this.repositories = [
      repo(101, login, "hello-world", { description: "My first repository on GitHub!" }),
      repo(102, login, "secret-plans", { private: true, description: "Private" }),
      repo(103, login, "archive-notes", { hasIssues: false }),
      repo(104, "octo-org", "shared-tools", { description: "An organization's repository" }),
      ...Array.from({ length: options.extraRepositories ?? 0 }, (_, i) =>
        repo(200 + i, login, `project-${String(i + 1).padStart(3, "0")}`, {}),
      ),
    ];
  }

  /** Starts a stand-in on 127.0.0.1 (a free port). */
  static async start(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
    let standIn: GitHubStandIn | undefined;
    const server = createServer((request, response) => {
      standIn?.handle(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500).end();
        else response.end();
      });
    });
    standIn = new GitHubStandIn(await listenOnLoopback(server), options);
    return standIn;
  }

  /** Every access token issued so far expires now (as if its eight hours were up). */
  expireAccessTokens(): void {
    for (const record of this.#accessTokens.values()) record.expiresAt = now() - 1;
  }

  /** One access token stops working (the user deleted it, or GitHub revoked it). */
  revokeAccessToken(token: string): void {
    const record = this.#accessTokens.get(token);
    if (record !== undefined) record.active = false;
  }

  /** The user revokes the app: every access and refresh token stops working. */
  revokeAll(): void {
    for (const record of this.#accessTokens.values()) record.active = false;
    for (const record of this.#refreshTokens.values()) record.active = false;
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.origin);
    const body = await readBody(request);
    if (url.pathname === "/login/oauth/authorize" && request.method === "GET") {
      return this.authorize(url, response);
    }
    if (url.pathname === "/login/oauth/access_token") {
      if (request.method !== "POST") return sendText(response, 404, "Not Found");
      return this.token(request, url, body, response);
    }
    return this.api(request, url, body, response);
  }

  // --- github.com/login/oauth/authorize ---------------------------------------

  private authorize(url: URL, response: ServerResponse): Sent {
    this.counters.authorize++;
    const q = url.searchParams;
    // An unknown client_id: GitHub shows its 404 page, there is nowhere to redirect to.
    if (q.get("client_id") !== this.clientId) return sendText(response, 404, "Not Found", "text/html");
    const state = q.get("state");
    const requested = q.get("redirect_uri") ?? this.callbackUrl;
    if (requested === undefined) return sendText(response, 400, "redirect_uri is required", "text/html");
    const redirectError = (to: string, error: string, description: string, anchor = "") =>
      redirect(response, to, {
        error,
        error_description: description,
        error_uri: `${DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/${anchor === "" ? "" : `#${anchor}`}`,
        ...(state === null ? {} : { state }),
      });
    // The redirect URI must be the registered callback URL (same host and port; its path or below).
    if (this.callbackUrl !== undefined && !matchesCallback(requested, this.callbackUrl)) {
      return redirectError(
        this.callbackUrl,
        "redirect_uri_mismatch",
        "The redirect_uri MUST match the registered callback URL for this application.",
        "redirect-uri-mismatch",
      );
    }
    // PKCE: optional, and only S256 is accepted. (GitHub's docs do not name the error for another method.)
    const challenge = q.get("code_challenge") ?? undefined;
    const method = q.get("code_challenge_method");
    if (challenge !== undefined && (method !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(challenge))) {
      return redirectError(requested, "invalid_request", "Only the S256 code challenge method is supported.");
    }
    if (this.decision === "deny") {
      return redirectError(requested, "access_denied", "The user has denied your application access.", "access-denied");
    }
    const scopes = splitScopes(q.get("scope") ?? undefined);
    this.requestedScopes.push(scopes);
    const code = randomBytes(10).toString("hex");
    this.#codes.set(code, {
      clientId: this.clientId,
      redirectUri: requested,
      challenge,
      scopes,
      expiresAt: now() + CODE_LIFETIME,
      used: false,
    });
    redirect(response, requested, { code, ...(state === null ? {} : { state }) });
  }

  // --- github.com/login/oauth/access_token ------------------------------------

  private token(request: IncomingMessage, url: URL, body: string, response: ServerResponse): Sent {
    // Parameters may come in the query string or the body (form-encoded or JSON).
    const params = new Map<string, string>(url.searchParams);
    const contentType = header(request, "content-type");
    if (contentType?.includes("application/json")) {
      try {
        for (const [k, v] of Object.entries(JSON.parse(body) as Record<string, unknown>)) params.set(k, String(v));
      } catch {
        /* GitHub ignores a body it cannot read; the checks below answer */
      }
    } else {
      for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
    }
    const accept = header(request, "accept");
    const grantType = params.get("grant_type");
    const recorded: RecordedTokenRequest = {
      accept,
      userAgent: header(request, "user-agent"),
      contentType,
      basicAuth: header(request, "authorization") !== undefined,
      grantType,
      clientSecretSent: params.has("client_secret"),
      codeVerifierSent: params.has("code_verifier"),
      redirectUri: params.get("redirect_uri"),
      error: undefined,
    };
    this.tokenRequests.push(recorded);
    // The quirk: JSON only when asked for, form-encoded otherwise; errors with HTTP 200 either way.
    const answer = (fields: Record<string, string | number>) => {
      if (accept?.includes("application/json")) {
        return sendJson(response, 200, fields);
      }
      const form = new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]));
      return sendText(response, 200, form.toString(), "application/x-www-form-urlencoded; charset=utf-8");
    };
    const fail = (error: string) => {
      recorded.error = error;
      const known = TOKEN_ERRORS[error] ?? { description: error, uri: "" };
      return answer({ error, error_description: known.description, error_uri: `${DOCS}${known.uri}` });
    };

    if (grantType === "refresh_token") this.counters.refresh_token++;
    else this.counters.authorization_code++;

    if (params.get("client_id") !== this.clientId || params.get("client_secret") !== this.clientSecret) {
      return fail("incorrect_client_credentials");
    }
    if (grantType === "refresh_token") return this.refresh(params, answer, fail);
    if (grantType !== undefined && grantType !== "authorization_code") return fail("unsupported_grant_type");

    const code = this.#codes.get(params.get("code") ?? "");
    if (code === undefined || code.used || code.expiresAt <= now() || code.clientId !== this.clientId) {
      return fail("bad_verification_code");
    }
    code.used = true;
    const redirectUri = params.get("redirect_uri");
    if (redirectUri !== undefined && redirectUri !== code.redirectUri) return fail("redirect_uri_mismatch");
    if (code.challenge !== undefined) {
      const verifier = params.get("code_verifier");
      // GitHub's docs do not name this error; a verifier that does not match makes the code unusable.
      if (verifier === undefined || s256(verifier) !== code.challenge) return fail("bad_verification_code");
    }
    if (!this.emailVerified) return fail("unverified_user_email");
    return answer(this.issue(this.tokenStyle, code.scopes));
  }

  private refresh(
    params: Map<string, string>,
    answer: (fields: Record<string, string | number>) => Sent,
    fail: (error: string) => Sent,
  ): Sent {
    const presented = params.get("refresh_token") ?? "";
    const record = this.#refreshTokens.get(presented);
    if (record === undefined || !record.active || record.expiresAt <= now()) return fail("bad_refresh_token");
    // Once used, the refresh token and the access token issued with it stop working.
    record.active = false;
    record.accessToken.active = false;
    this.counters.refreshed++;
    return answer(this.issue("expiring", record.accessToken.scopes));
  }

  private issue(style: GitHubTokenStyle, scopes: string[]): Record<string, string | number> {
    if (style === "classic") {
      const token = randomToken("gho_", 36);
      this.#accessTokens.set(token, { token, style, scopes, expiresAt: undefined, active: true });
      this.issuedAccessTokens.push(token);
      // Granted scopes, comma-separated, as GitHub writes them.
      return { access_token: token, scope: scopes.join(","), token_type: "bearer" };
    }
    const token = randomToken("ghu_", 36);
    const access: AccessTokenRecord = {
      token,
      style,
      scopes,
      expiresAt: now() + this.accessTokenLifetime,
      active: true,
    };
    this.#accessTokens.set(token, access);
    this.issuedAccessTokens.push(token);
    const refreshToken = randomToken("ghr_", 76);
    this.#refreshTokens.set(refreshToken, {
      expiresAt: now() + REFRESH_TOKEN_LIFETIME,
      active: true,
      accessToken: access,
    });
    return {
      access_token: token,
      expires_in: this.accessTokenLifetime,
      refresh_token: refreshToken,
      refresh_token_expires_in: REFRESH_TOKEN_LIFETIME,
      // A GitHub App's user token has permissions, not scopes: always "".
      scope: "",
      token_type: "bearer",
    };
  }

  // --- api.github.com ---------------------------------------------------------

  private api(request: IncomingMessage, url: URL, body: string, response: ServerResponse): Sent {
    const authorization = header(request, "authorization");
    const [scheme, credential] = authorization?.split(/\s+/, 2) ?? [];
    const record = credential === undefined ? undefined : this.#accessTokens.get(credential);
    const accept = header(request, "accept");
    const userAgent = header(request, "user-agent");
    const apiVersion = header(request, "x-github-api-version");
    this.apiRequests.push({
      method: request.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      accept,
      userAgent,
      apiVersion,
      authScheme: scheme,
      tokenIndex: record === undefined ? -1 : this.issuedAccessTokens.indexOf(record.token),
    });

    if (userAgent === undefined || userAgent === "") {
      return sendText(
        response,
        403,
        "Request forbidden by administrative rules. Please make sure your request has a User-Agent header " +
          `(${DOCS}/rest/overview/resources-in-the-rest-api#user-agent-required). ` +
          "Check https://developer.github.com for other possible causes.\n",
      );
    }
    if (accept !== undefined && !/application\/(vnd\.github(\.[a-z0-9.-]+)?\+)?json|\*\/\*/.test(accept)) {
      return apiError(response, 415, `Unsupported 'Accept' header: '${accept}'`, `${DOCS}/rest/using-the-rest-api`);
    }
    if (apiVersion !== undefined && !API_VERSIONS.has(apiVersion)) {
      return apiError(
        response,
        400,
        `API version ${apiVersion} is not supported.`,
        `${DOCS}/rest/about-the-rest-api/api-versions`,
      );
    }
    if (authorization === undefined) return apiError(response, 401, "Requires authentication", `${DOCS}/rest`);
    const usable =
      record !== undefined &&
      (scheme?.toLowerCase() === "bearer" || scheme?.toLowerCase() === "token") &&
      record.active &&
      (record.expiresAt === undefined || record.expiresAt > now());
    if (!usable) return apiError(response, 401, "Bad credentials", `${DOCS}/rest`);
    // An OAuth app's token says what it was granted; a GitHub App's token has no scopes.
    const extra: Record<string, string> =
      record.style === "classic" ? { "x-oauth-scopes": record.scopes.join(", ") } : {};

    const issuesPath = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(url.pathname);
    if (url.pathname === "/user" && request.method === "GET") {
      return sendJson(response, 200, this.userJson(), { ...extra, "x-accepted-oauth-scopes": "" });
    }
    if (url.pathname === "/user/repos" && request.method === "GET") return this.listRepos(url, record, response, extra);
    if (issuesPath !== null && request.method === "POST") {
      return this.createIssue(
        decodeURIComponent(issuesPath[1] as string),
        decodeURIComponent(issuesPath[2] as string),
        body,
        record,
        response,
        extra,
      );
    }
    return apiError(response, 404, "Not Found", `${DOCS}/rest`);
  }

  private userJson(): Record<string, unknown> {
    const u = this.user;
    return {
      login: u.login,
      id: u.id,
      node_id: `MDQ6VXNlcj${u.id}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
      url: `https://api.github.com/users/${u.login}`,
      html_url: `https://github.com/${u.login}`,
      type: "User",
      site_admin: false,
      name: u.name,
      company: null,
      blog: "",
      location: null,
      email: u.email,
      bio: null,
      public_repos: this.repositories.filter((r) => r.owner === u.login && !r.private).length,
      followers: 0,
      following: 0,
      created_at: "2011-01-25T18:44:36Z",
      updated_at: "2024-01-22T12:00:00Z",
    };
  }

  private visible(record: AccessTokenRecord): StandInRepository[] {
    // OAuth app tokens see private repositories only with the `repo` scope.
    const privateToo = record.style === "expiring" || record.scopes.includes("repo");
    return this.repositories.filter((r) => privateToo || !r.private);
  }

  private listRepos(
    url: URL,
    record: AccessTokenRecord,
    response: ServerResponse,
    extra: Record<string, string>,
  ): Sent {
    const q = url.searchParams;
    const perPage = Math.min(Math.max(Number.parseInt(q.get("per_page") ?? "30", 10) || 30, 1), 100);
    const page = Math.max(Number.parseInt(q.get("page") ?? "1", 10) || 1, 1);
    const sort = q.get("sort") ?? "full_name";
    const direction = q.get("direction") ?? (sort === "full_name" ? "asc" : "desc");
    const key = (r: StandInRepository): string =>
      sort === "created"
        ? r.createdAt
        : sort === "updated"
          ? r.updatedAt
          : sort === "pushed"
            ? r.pushedAt
            : fullName(r);
    const sorted = [...this.visible(record)].sort((a, b) => key(a).localeCompare(key(b)));
    if (direction === "desc") sorted.reverse();
    const lastPage = Math.max(Math.ceil(sorted.length / perPage), 1);
    const items = sorted.slice((page - 1) * perPage, page * perPage).map((r) => this.repoJson(r));
    // Pagination is only in the Link header; it is left out when everything fits on one page.
    const link = (p: number) => {
      const target = new URL(url.pathname, this.origin);
      for (const [k, v] of q) target.searchParams.set(k, v);
      target.searchParams.set("page", String(p));
      return `<${target.href}>`;
    };
    const rels: string[] = [];
    if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`);
    if (page < lastPage) rels.push(`${link(page + 1)}; rel="next"`, `${link(lastPage)}; rel="last"`);
    if (page > 1) rels.push(`${link(1)}; rel="first"`);
    sendJson(response, 200, items, { ...extra, ...(rels.length > 0 ? { link: rels.join(", ") } : {}) });
  }

  private repoJson(r: StandInRepository): Record<string, unknown> {
    const name = fullName(r);
    return {
      id: r.id,
      node_id: `R_kgDO${r.id}`,
      name: r.name,
      full_name: name,
      private: r.private,
      owner: { login: r.owner, id: r.owner === this.user.login ? this.user.id : 9_919, type: "User" },
      html_url: `https://github.com/${name}`,
      description: r.description,
      fork: false,
      url: `https://api.github.com/repos/${name}`,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      pushed_at: r.pushedAt,
      has_issues: r.hasIssues,
      visibility: r.private ? "private" : "public",
      default_branch: "main",
    };
  }

  private createIssue(
    owner: string,
    name: string,
    body: string,
    record: AccessTokenRecord,
    response: ServerResponse,
    extra: Record<string, string>,
  ): Sent {
    const docs = `${DOCS}/rest/issues/issues#create-an-issue`;
    const repository = this.visible(record).find(
      (r) => r.owner.toLowerCase() === owner.toLowerCase() && r.name.toLowerCase() === name.toLowerCase(),
    );
    // Writing needs `repo` or `public_repo` on an OAuth app token; GitHub hides what a token cannot reach.
    const canWrite =
      record.style === "expiring" ||
      record.scopes.includes("repo") ||
      (record.scopes.includes("public_repo") && repository?.private === false);
    if (repository === undefined || !canWrite) return apiError(response, 404, "Not Found", docs);
    if (!repository.hasIssues) return apiError(response, 410, "Issues are disabled for this repo", docs);
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return apiError(response, 400, "Problems parsing JSON", docs);
    }
    const fields = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
    const title = typeof fields.title === "number" ? String(fields.title) : fields.title;
    if (typeof title !== "string" || title.trim() === "") {
      return apiError(response, 422, "Validation Failed", docs, [
        { resource: "Issue", code: "missing_field", field: "title" },
      ]);
    }
    if (fields.body !== undefined && fields.body !== null && typeof fields.body !== "string") {
      return apiError(response, 422, "Validation Failed", docs, [
        { resource: "Issue", code: "invalid", field: "body" },
      ]);
    }
    const full = fullName(repository);
    const number = this.issues.filter((i) => i.repository === full).length + 1;
    const issue: StandInIssue = {
      repository: full,
      number,
      title,
      body: typeof fields.body === "string" ? fields.body : null,
      user: this.user.login,
    };
    this.issues.push(issue);
    const apiUrl = `https://api.github.com/repos/${full}/issues/${number}`;
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    sendJson(
      response,
      201,
      {
        id: 1_000_000 + this.issues.length,
        node_id: `I_kwDO${number}`,
        url: apiUrl,
        repository_url: `https://api.github.com/repos/${full}`,
        html_url: `https://github.com/${full}/issues/${number}`,
        number,
        state: "open",
        title,
        body: issue.body,
        user: { login: this.user.login, id: this.user.id, type: "User" },
        labels: [],
        assignees: [],
        comments: 0,
        created_at: at,
        updated_at: at,
        closed_at: null,
      },
      { ...extra, location: apiUrl },
    );
  }
}

const fullName = (r: StandInRepository): string => `${r.owner}/${r.name}`;

function matchesCallback(redirectUri: string, callbackUrl: string): boolean {
  let given: URL;
  let registered: URL;
  try {
    given = new URL(redirectUri);
    registered = new URL(callbackUrl);
  } catch {
    return false;
  }
  const base = registered.pathname.replace(/\/+$/, "");
  return (
    given.protocol === registered.protocol &&
    given.host === registered.host &&
    (given.pathname === registered.pathname || given.pathname.startsWith(`${base}/`))
  );
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function redirect(response: ServerResponse, to: string, params: Record<string, string>): Sent {
  const location = new URL(to);
  for (const [k, v] of Object.entries(params)) location.searchParams.set(k, v);
  response.writeHead(302, { location: location.href, "content-length": "0" }).end();
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): Sent {
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "x-github-media-type": "github.v3; format=json",
      ...headers,
    })
    .end(text);
}

function sendText(response: ServerResponse, status: number, text: string, type = "text/plain; charset=utf-8"): Sent {
  response.writeHead(status, { "content-type": type }).end(text);
}

/** GitHub's REST error body: `message`, `documentation_url`, `status`, and `errors` for 422. */
function apiError(
  response: ServerResponse,
  status: number,
  message: string,
  documentationUrl: string,
  errors?: Record<string, string>[],
): Sent {
  sendJson(response, status, {
    message,
    ...(errors === undefined ? {} : { errors }),
    documentation_url: documentationUrl,
    status: String(status),
  });
}
