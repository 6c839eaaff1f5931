/**
 * A local Acme for the custom-provider example: the fictional upstream of
 * docs/oauth/custom-providers.md, as its (imagined) documentation describes
 * it, checked as strictly as a real service would be.
 *
 * - `GET /oauth2/authorize`: a signed-in user who approves (or refuses, with
 *   `access_denied`): 302 to the registered redirect URI with `code`, `state`
 *   and `iss` (RFC 9207). PKCE S256 is required. Unknown client or redirect
 *   URI: an error page, no redirect.
 * - `POST /oauth2/token`: client credentials in the form body only (a Basic
 *   header is `invalid_client`); `authorization_code` (single-use codes, 60 s,
 *   PKCE checked, redirect URI matched) and `refresh_token` (rotating: each
 *   refresh token works once; a reused one is `invalid_grant` and ends the
 *   grant). Answers `{ access_token, token_type, expires_in, refresh_token, scope }`.
 * - `GET /v1/me`: `{ id, display_name, email }` for a bearer token.
 * - `POST /v1/posts`: `{ content }` with the `posts:write` scope → 201
 *   `{ id, content, author: { id, display_name }, created_at }`.
 * - API errors: `{ error: { code, message } }` with 401 (and
 *   `WWW-Authenticate: Bearer error="invalid_token"`), 403 or 422.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type LoopbackServer, listenOnLoopback } from "../../packages/oauth/test/helpers/loopback-server.js";

export interface AcmeUser {
  id: string;
  displayName: string;
  email: string;
}

export interface AcmeStandInOptions {
  clientId: string;
  clientSecret: string;
  /** The app's registered redirect URIs. */
  redirectUris: string[];
  user?: Partial<AcmeUser>;
  /** Seconds an access token lives. Default 3600. */
  accessTokenLifetime?: number;
}

/** One post Acme accepted. */
export interface AcmePost {
  id: string;
  content: string;
  authorId: string;
}

/** One token request, as received. */
export interface AcmeTokenRequest {
  grantType: string;
  /** How the client authenticated: form body, Basic header, or not at all. */
  clientAuth: "client_secret_post" | "client_secret_basic" | "none";
  /** The PKCE verifier's presence. */
  codeVerifier: boolean;
  status: number;
}

interface Grant {
  /** One id per authorization: refresh rotation and revocation follow it. */
  family: string;
  userId: string;
  scopes: string[];
  expiresAt: number;
}

const SCOPES = new Set(["profile", "posts:write"]);
const now = () => Math.floor(Date.now() / 1000);
const opaque = (prefix: string) => `${prefix}_${randomBytes(24).toString("base64url")}`;

export class AcmeStandIn {
  /** `http://127.0.0.1:<port>`: both `ACME_AUTH_URL` and `ACME_API_URL`. */
  url = "";
  readonly user: AcmeUser;
  accessTokenLifetime: number;
  /** What the next user at the authorization page does. */
  nextDecision: "approve" | "deny" = "approve";
  /** Token requests served per grant type, successful or not. */
  readonly counters = { authorization_code: 0, refresh_token: 0 };
  readonly tokenRequests: AcmeTokenRequest[] = [];
  readonly authorizationRequests: URLSearchParams[] = [];
  readonly posts: AcmePost[] = [];
  /** Every code and token issued (none may appear in a log). */
  readonly secrets: string[] = [];

  readonly #options: AcmeStandInOptions;
  readonly #codes = new Map<string, Grant & { redirectUri: string; challenge: string; used: boolean }>();
  readonly #accessTokens = new Map<string, Grant>();
  readonly #refreshTokens = new Map<string, Grant & { used: boolean }>();
  readonly #revokedFamilies = new Set<string>();
  #server: LoopbackServer | undefined;

  private constructor(options: AcmeStandInOptions) {
    this.#options = options;
    this.user = { id: "u-4711", displayName: "Grace Hopper", email: "grace@acme.example", ...options.user };
    this.accessTokenLifetime = options.accessTokenLifetime ?? 3600;
  }

  static async start(options: AcmeStandInOptions): Promise<AcmeStandIn> {
    const standIn = new AcmeStandIn(options);
    const server = createServer((req, res) => {
      standIn.#route(req, res).catch(() => {
        if (!res.headersSent) apiError(res, 500, "internal", "Internal error");
      });
    });
    standIn.#server = await listenOnLoopback(server);
    standIn.url = standIn.#server.origin;
    return standIn;
  }

  async close(): Promise<void> {
    await this.#server?.close();
  }

  /** Disables the user's account: every token of theirs stops working. */
  revokeUser(): void {
    for (const grant of [...this.#accessTokens.values(), ...this.#refreshTokens.values()]) {
      this.#revokedFamilies.add(grant.family);
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /oauth2/authorize") return this.#authorize(url.searchParams, res);
    if (route === "POST /oauth2/token") return this.#token(req, res);
    if (route === "GET /v1/me") {
      const grant = this.#bearer(req, res);
      if (grant) json(res, 200, { id: grant.userId, display_name: this.user.displayName, email: this.user.email });
      return;
    }
    if (route === "POST /v1/posts") return this.#createPost(req, res);
    apiError(res, 404, "not_found", `No route ${route}`);
  }

  #authorize(q: URLSearchParams, res: ServerResponse): undefined {
    this.authorizationRequests.push(q);
    const redirectUri = q.get("redirect_uri") ?? "";
    if (q.get("client_id") !== this.#options.clientId || !this.#options.redirectUris.includes(redirectUri)) {
      res.writeHead(400, { "content-type": "text/html; charset=utf-8" });
      res.end("<!doctype html><p>Unknown client or redirect URI.</p>");
      return;
    }
    const back = new URL(redirectUri);
    back.searchParams.set("iss", this.url);
    const state = q.get("state");
    if (state !== null) back.searchParams.set("state", state);
    const fail = (error: string): undefined => {
      back.searchParams.set("error", error);
      redirectTo(res, back);
      return undefined;
    };
    const scopes = (q.get("scope") ?? "").split(" ").filter(Boolean);
    if (q.get("response_type") !== "code") return fail("unsupported_response_type");
    if (scopes.length === 0 || scopes.some((s) => !SCOPES.has(s))) return fail("invalid_scope");
    const challenge = q.get("code_challenge") ?? "";
    if (q.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return fail("invalid_request");
    }
    if (this.nextDecision === "deny") {
      this.nextDecision = "approve";
      return fail("access_denied");
    }
    const code = opaque("acme_code");
    this.secrets.push(code);
    this.#codes.set(code, {
      family: randomBytes(8).toString("hex"),
      userId: this.user.id,
      scopes,
      expiresAt: now() + 60,
      redirectUri,
      challenge,
      used: false,
    });
    back.searchParams.set("code", code);
    redirectTo(res, back);
  }

  async #token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const grantType = form.get("grant_type") ?? "";
    const basic = /^basic /i.test(req.headers.authorization ?? "");
    const seen: AcmeTokenRequest = {
      grantType,
      clientAuth: form.has("client_secret") ? "client_secret_post" : basic ? "client_secret_basic" : "none",
      codeVerifier: form.has("code_verifier"),
      status: 0,
    };
    this.tokenRequests.push(seen);
    if (grantType === "authorization_code" || grantType === "refresh_token") this.counters[grantType]++;
    const refuse = (status: number, error: string, description: string) => {
      seen.status = status;
      json(res, status, { error, error_description: description }, { "cache-control": "no-store" });
    };
    if (seen.clientAuth !== "client_secret_post") {
      return refuse(401, "invalid_client", "Acme takes client_id and client_secret in the form body");
    }
    if (form.get("client_id") !== this.#options.clientId || form.get("client_secret") !== this.#options.clientSecret) {
      return refuse(401, "invalid_client", "Unknown client or wrong secret");
    }
    if (grantType === "authorization_code") {
      const code = this.#codes.get(form.get("code") ?? "");
      if (!code || code.used || code.expiresAt <= now())
        return refuse(400, "invalid_grant", "Unknown, used or expired code");
      code.used = true;
      if (code.redirectUri !== form.get("redirect_uri")) return refuse(400, "invalid_grant", "redirect_uri mismatch");
      const verifier = form.get("code_verifier") ?? "";
      if (createHash("sha256").update(verifier).digest("base64url") !== code.challenge) {
        return refuse(400, "invalid_grant", "PKCE verification failed");
      }
      seen.status = 200;
      return json(res, 200, this.#issue(code), { "cache-control": "no-store" });
    }
    if (grantType === "refresh_token") {
      const token = form.get("refresh_token") ?? "";
      const grant = this.#refreshTokens.get(token);
      if (!grant || this.#revokedFamilies.has(grant.family)) {
        return refuse(400, "invalid_grant", "Unknown or revoked refresh token");
      }
      if (grant.used) {
        // A rotated refresh token used again: someone has a copy. The whole grant ends.
        this.#revokedFamilies.add(grant.family);
        return refuse(400, "invalid_grant", "Refresh token reused; the grant is revoked");
      }
      grant.used = true;
      seen.status = 200;
      return json(res, 200, this.#issue(grant), { "cache-control": "no-store" });
    }
    return refuse(400, "unsupported_grant_type", `Unsupported grant_type ${grantType}`);
  }

  #issue(grant: Grant): Record<string, unknown> {
    const accessToken = opaque("acme_at");
    const refreshToken = opaque("acme_rt");
    this.secrets.push(accessToken, refreshToken);
    const base = { family: grant.family, userId: grant.userId, scopes: grant.scopes };
    this.#accessTokens.set(accessToken, { ...base, expiresAt: now() + this.accessTokenLifetime });
    this.#refreshTokens.set(refreshToken, { ...base, expiresAt: now() + 30 * 24 * 3600, used: false });
    return {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: this.accessTokenLifetime,
      refresh_token: refreshToken,
      scope: grant.scopes.join(" "),
    };
  }

  #bearer(req: IncomingMessage, res: ServerResponse): Grant | undefined {
    const header = req.headers.authorization ?? "";
    const grant = header.startsWith("Bearer ") ? this.#accessTokens.get(header.slice(7)) : undefined;
    if (!grant || grant.expiresAt <= now() || this.#revokedFamilies.has(grant.family)) {
      apiError(res, 401, "invalid_token", "The access token is missing, expired or revoked", {
        "www-authenticate": header.startsWith("Bearer ") ? 'Bearer error="invalid_token"' : "Bearer",
      });
      return undefined;
    }
    return grant;
  }

  async #createPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const grant = this.#bearer(req, res);
    if (!grant) return;
    if (!grant.scopes.includes("posts:write")) {
      return apiError(res, 403, "insufficient_scope", "This token may not publish posts (posts:write)");
    }
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      return apiError(res, 415, "unsupported_media_type", "Send JSON");
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return apiError(res, 400, "bad_request", "Malformed JSON");
    }
    const content = (body as { content?: unknown } | null)?.content;
    if (typeof content !== "string" || content.trim() === "" || content.length > 5000) {
      return apiError(res, 422, "invalid_content", "content must be 1 to 5000 characters");
    }
    const post: AcmePost = { id: `post_${randomBytes(6).toString("hex")}`, content, authorId: grant.userId };
    this.posts.push(post);
    json(res, 201, {
      id: post.id,
      content,
      author: { id: grant.userId, display_name: this.user.displayName },
      created_at: new Date().toISOString(),
    });
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function apiError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  json(res, status, { error: { code, message } }, headers);
}

function redirectTo(res: ServerResponse, location: URL): void {
  res.writeHead(302, { location: location.href });
  res.end();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
