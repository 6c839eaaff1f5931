/**
 * The development identity provider's HTTP endpoints, under `/dev-idp/`:
 * login page and form (authorization endpoint), token endpoint, RFC 7009
 * revocation, OpenID-style userinfo, and a small API (`POST /api/posts`)
 * that accepts only its own access tokens. Error bodies and challenges are
 * the ones `errors.ts` decides for our own endpoints.
 */
import { randomUUID } from "node:crypto";
import formbody from "@fastify/formbody";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  invalidToken,
  missingBearerToken,
  oauthErrorResponse,
  ResourceServerError,
  TokenEndpointError,
} from "../errors.js";
import { constantTimeEqual } from "../tokens/opaque.js";
import { codeChallengeProblem, verifyCodeVerifier } from "../tokens/pkce.js";
import type { DevIdpStore, DevToken, DevTokenCounters, IssuedDevTokens } from "./dev-idp-store.js";
import { errorPage, type HtmlPage, type LoginFormFields, loginPage, USERNAME } from "./login-page.js";

/** Where the routes live (paths), relative to the server root. */
export const DEV_IDP_PATHS = {
  authorize: "/dev-idp/authorize",
  token: "/dev-idp/token",
  revoke: "/dev-idp/revoke",
  userinfo: "/dev-idp/userinfo",
  posts: "/dev-idp/api/posts",
} as const;

/** What the routes need from the provider. */
export interface DevIdpRouteContext {
  store: DevIdpStore;
  /** Counts a token request of an authenticated client (per process: test instrumentation). */
  countTokenRequest(grant: keyof DevTokenCounters): void;
  /** The provider's client id and secret: the only client this IdP knows. */
  clientId: string;
  clientSecret: string;
  /** The only redirect URI it sends codes to. */
  redirectUri: string;
  /** Its issuer identifier, sent as `iss` with every authorization response (RFC 9207). */
  issuer: string;
  /** The login page's public URL, the form's action (a bare path would escape a reverse proxy's prefix). */
  authorizationUrl: string;
}

/** The most a post's content may hold. */
const MAX_POST_LENGTH = 10_000;
const MAX_SCOPE_LENGTH = 1_000;

type Params = Record<string, unknown>;

export async function devIdpRoutes(app: FastifyInstance, ctx: DevIdpRouteContext): Promise<void> {
  // The OAuth middleware registers a form parser for its own endpoints; standing alone, we bring ours.
  if (!app.hasContentTypeParser("application/x-www-form-urlencoded")) await app.register(formbody);

  const sendPage = (reply: FastifyReply, page: HtmlPage) =>
    reply.code(page.status).headers(page.headers).send(page.html);

  /** Redirects an authorization error to our own (trusted) redirect URI. */
  const redirectError = (reply: FastifyReply, error: string, description: string, state: string | undefined) => {
    const url = new URL(ctx.redirectUri);
    url.searchParams.set("error", error);
    url.searchParams.set("error_description", description);
    if (state !== undefined) url.searchParams.set("state", state);
    url.searchParams.set("iss", ctx.issuer);
    return reply.code(302).header("cache-control", "no-store").redirect(url.href);
  };

  /**
   * Checks an authorization request (query of the GET, fields of the POST).
   * Before the client and redirect URI are known good, the answer is an error
   * page; after, an error redirect.
   */
  const checkRequest = (params: Params, reply: FastifyReply): { fields: LoginFormFields } | { sent: FastifyReply } => {
    if (params.client_id !== ctx.clientId) {
      return {
        sent: sendPage(reply, errorPage("Unknown client_id: this login serves only its own server.")),
      };
    }
    if (params.redirect_uri !== ctx.redirectUri) {
      const got = typeof params.redirect_uri === "string" ? params.redirect_uri : "(none)";
      return {
        sent: sendPage(
          reply,
          errorPage(`Unregistered redirect_uri ${got}; the only one allowed is ${ctx.redirectUri}.`),
        ),
      };
    }
    const state = typeof params.state === "string" && params.state !== "" ? params.state : undefined;
    if (params.response_type !== "code") {
      return { sent: redirectError(reply, "unsupported_response_type", "response_type must be code", state) };
    }
    if (state === undefined) return { sent: redirectError(reply, "invalid_request", "state is required", undefined) };
    const pkceProblem = codeChallengeProblem(params.code_challenge, params.code_challenge_method);
    if (pkceProblem !== undefined) return { sent: redirectError(reply, "invalid_request", pkceProblem, state) };
    const scope = params.scope ?? "";
    if (typeof scope !== "string" || scope.length > MAX_SCOPE_LENGTH) {
      return { sent: redirectError(reply, "invalid_scope", "scope must be one space-separated list", state) };
    }
    return {
      fields: {
        response_type: "code",
        client_id: ctx.clientId,
        redirect_uri: ctx.redirectUri,
        state,
        code_challenge: params.code_challenge as string,
        code_challenge_method: "S256",
        scope,
      },
    };
  };

  app.get(DEV_IDP_PATHS.authorize, async (request, reply) => {
    const checked = checkRequest(request.query as Params, reply);
    if ("sent" in checked) return checked.sent;
    return sendPage(reply, loginPage(checked.fields, { action: ctx.authorizationUrl }));
  });

  app.post(DEV_IDP_PATHS.authorize, async (request, reply) => {
    const body = isObject(request.body) ? request.body : {};
    const checked = checkRequest(body, reply);
    if ("sent" in checked) return checked.sent;
    const { fields } = checked;
    if (body.action === "deny") {
      return redirectError(reply, "access_denied", "The user cancelled the login", fields.state);
    }
    const username = typeof body.username === "string" ? body.username.trim() : "";
    if (!USERNAME.test(username)) {
      const problem = "A username is 1-64 characters: letters, digits and . _ @ -";
      return sendPage(reply, loginPage(fields, { action: ctx.authorizationUrl, problem, username }));
    }
    let code: string;
    try {
      code = await ctx.store.issueCode({
        userId: `dev:${username}`,
        username,
        redirectUri: fields.redirect_uri,
        codeChallenge: fields.code_challenge,
        scope: fields.scope,
      });
    } catch (err) {
      // The store is away (Redis down): 503 with Retry-After, as our own endpoints answer.
      return sendOAuthError(reply, err);
    }
    const url = new URL(ctx.redirectUri);
    url.searchParams.set("code", code);
    url.searchParams.set("state", fields.state);
    url.searchParams.set("iss", ctx.issuer);
    return reply.code(302).header("cache-control", "no-store").redirect(url.href);
  });

  app.post(DEV_IDP_PATHS.token, async (request, reply) => {
    try {
      const body = formOf(request);
      authenticateClient(request, body, ctx);
      const grantType = body.grant_type;
      if (grantType === "authorization_code") {
        ctx.countTokenRequest("authorization_code");
        return sendTokens(reply, await exchangeCode(body, ctx));
      }
      if (grantType === "refresh_token") {
        ctx.countTokenRequest("refresh_token");
        return sendTokens(reply, await refresh(body, ctx));
      }
      if (grantType === undefined) throw new TokenEndpointError("invalid_request", "grant_type is required");
      throw new TokenEndpointError("unsupported_grant_type", "Only authorization_code and refresh_token are supported");
    } catch (err) {
      return sendOAuthError(reply, err);
    }
  });

  app.post(DEV_IDP_PATHS.revoke, async (request, reply) => {
    try {
      const body = formOf(request);
      authenticateClient(request, body, ctx);
      if (typeof body.token !== "string" || body.token === "") {
        throw new TokenEndpointError("invalid_request", "token is required");
      }
      // RFC 7009 §2.2: unknown tokens are answered 200 as well.
      await ctx.store.revokeToken(body.token);
      return reply.code(200).header("cache-control", "no-store").send();
    } catch (err) {
      return sendOAuthError(reply, err);
    }
  });

  app.get(DEV_IDP_PATHS.userinfo, async (request, reply) => {
    try {
      const token = await bearerToken(request, ctx);
      return reply
        .header("cache-control", "no-store")
        .send({ sub: token.userId, name: token.username, preferred_username: token.username });
    } catch (err) {
      return sendOAuthError(reply, err);
    }
  });

  app.post(DEV_IDP_PATHS.posts, async (request, reply) => {
    let token: DevToken;
    try {
      token = await bearerToken(request, ctx);
    } catch (err) {
      return sendOAuthError(reply, err);
    }
    const content = isObject(request.body) ? request.body.content : undefined;
    if (typeof content !== "string" || content.trim() === "" || content.length > MAX_POST_LENGTH) {
      return reply.code(400).send({
        error: "invalid_request",
        error_description: `content must be a non-empty string of at most ${MAX_POST_LENGTH} characters`,
      });
    }
    return reply.code(201).send({
      id: randomUUID(),
      content,
      author: { id: token.userId, name: token.username },
      createdAt: new Date().toISOString(),
    });
  });
}

/** The token endpoint's form body; anything else is `invalid_request`. */
function formOf(request: FastifyRequest): Params {
  if (!isObject(request.body)) throw new TokenEndpointError("invalid_request", "Expected a form body");
  for (const [name, value] of Object.entries(request.body)) {
    if (typeof value !== "string") throw new TokenEndpointError("invalid_request", `${name} is repeated`);
  }
  return request.body;
}

/** client_secret_basic with the provider's own id and secret (RFC 6749 §2.3.1). */
function authenticateClient(request: FastifyRequest, body: Params, ctx: DevIdpRouteContext): void {
  const header = request.headers.authorization;
  const match = typeof header === "string" ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (match === null) {
    throw new TokenEndpointError("invalid_client", "Client authentication (client_secret_basic) is required", {
      basicAuthAttempted: typeof header === "string" && /^Basic\b/i.test(header),
    });
  }
  const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const id = formDecode(decoded.slice(0, Math.max(colon, 0)));
  const secret = formDecode(decoded.slice(colon + 1));
  const idMatches = colon > 0 && id === ctx.clientId;
  // Evaluate the secret comparison whatever the id, so timing says nothing about which part was wrong.
  const secretMatches = constantTimeEqual(secret ?? "", ctx.clientSecret);
  if (!idMatches || !secretMatches || (body.client_id !== undefined && body.client_id !== ctx.clientId)) {
    throw new TokenEndpointError("invalid_client", "Client authentication failed", { basicAuthAttempted: true });
  }
}

async function exchangeCode(body: Params, ctx: DevIdpRouteContext): Promise<IssuedDevTokens> {
  if (typeof body.code !== "string" || body.code === "")
    throw new TokenEndpointError("invalid_request", "code is required");
  const redemption = await ctx.store.redeemCode(body.code);
  if (redemption.status === "replayed") {
    throw new TokenEndpointError("invalid_grant", "The code was already used; the tokens issued for it are revoked");
  }
  if (redemption.status === "unknown") throw new TokenEndpointError("invalid_grant", "Unknown or expired code");
  const { code, grantId } = redemption;
  if (body.redirect_uri !== code.redirectUri) {
    throw new TokenEndpointError("invalid_grant", "redirect_uri does not match the authorization request");
  }
  if (!verifyCodeVerifier({ verifier: body.code_verifier, challenge: code.codeChallenge, method: "S256" })) {
    throw new TokenEndpointError("invalid_grant", "PKCE verification failed");
  }
  return ctx.store.issueTokens(code, code.scope, grantId);
}

async function refresh(body: Params, ctx: DevIdpRouteContext): Promise<IssuedDevTokens> {
  if (typeof body.refresh_token !== "string" || body.refresh_token === "") {
    throw new TokenEndpointError("invalid_request", "refresh_token is required");
  }
  const token = await ctx.store.consumeRefreshToken(body.refresh_token);
  if (token === undefined)
    throw new TokenEndpointError("invalid_grant", "Unknown, used, revoked or expired refresh token");
  return ctx.store.issueTokens(token, token.scope, token.grantId);
}

function sendTokens(reply: FastifyReply, tokens: IssuedDevTokens) {
  return reply
    .header("cache-control", "no-store")
    .header("pragma", "no-cache")
    .send({
      access_token: tokens.accessToken,
      token_type: "Bearer",
      expires_in: tokens.expiresIn,
      ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
      ...(tokens.scope === "" ? {} : { scope: tokens.scope }),
    });
}

/** The request's live access token (RFC 6750 §2.1 header), or a `ResourceServerError`. */
async function bearerToken(request: FastifyRequest, ctx: DevIdpRouteContext): Promise<DevToken> {
  const header = request.headers.authorization;
  if (typeof header !== "string" || header === "") throw missingBearerToken();
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  if (match === null) throw invalidToken("malformed", "Expected Authorization: Bearer <token>");
  const token = await ctx.store.accessToken(match[1] as string);
  if (token === undefined) throw invalidToken("exp", "The access token is unknown, revoked or expired");
  return token;
}

function sendOAuthError(reply: FastifyReply, err: unknown) {
  const response = oauthErrorResponse(err);
  if (!(err instanceof TokenEndpointError || err instanceof ResourceServerError)) {
    reply.log.error({ err: err instanceof Error ? err.name : "error" }, "dev-idp: unexpected error");
  }
  reply.code(response.status).headers(response.headers);
  return response.body === undefined ? reply.send() : reply.send(response.body);
}

/** RFC 6749 §2.3.1: the Basic credentials are form-encoded before base64. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Params =>
  typeof value === "object" && value !== null && !Array.isArray(value);
