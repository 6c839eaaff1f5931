/**
 * The browser cookies of the authorization flow. There are two, both
 * `HttpOnly; SameSite=Lax`, and on an https issuer `__Host-` prefixed and
 * `Secure` (so no other host can plant them; `__Host-` requires `Path=/`):
 *
 * - the browser id: a random value naming this browser. The consent form's
 *   CSRF token is an HMAC of it and the consent request (a signed double
 *   submit), and an approved request is bound to its hash, so the upstream's
 *   redirect back is honoured only in the browser that approved it (an
 *   attacker who approves their own request cannot hand its upstream URL to a
 *   victim).
 * - the remembered user: the user id of the last login in this browser,
 *   signed with the context's cookie secret, so the consent page can be
 *   skipped for a client this user already approved.
 *
 * Cookie values are credentials: never logged.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuthorizationServerContext } from "../context.js";
import { sha256Hex } from "../store/crypto.js";
import { constantTimeEqual } from "../tokens/opaque.js";

/** How long the remembered user cookie lasts: 30 days. */
export const REMEMBERED_USER_MAX_AGE = 30 * 24 * 60 * 60;

/** Longest user id a remembered-user cookie carries (keeps the cookie under browser limits). */
const MAX_USER_ID_LENGTH = 1024;

/** The browser id, when the request carries a well-formed one. */
export function readBrowserId(request: FastifyRequest, ctx: AuthorizationServerContext): string | undefined {
  const value = readCookie(request, cookieName(ctx, "browser"));
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/** The browser id, creating one (and its `Set-Cookie`) when the request has none. */
export function ensureBrowserId(request: FastifyRequest, reply: FastifyReply, ctx: AuthorizationServerContext): string {
  const existing = readBrowserId(request, ctx);
  if (existing !== undefined) return existing;
  const created = randomBytes(32).toString("base64url");
  // A session cookie: it only has to outlive one authorization.
  appendSetCookie(reply, serializeCookie(ctx, "browser", created, undefined));
  return created;
}

/** What an approved request stores to bind itself to the browser (the id itself stays in the browser). */
export const browserBindingOf = (browserId: string): string => sha256Hex(browserId);

/** Whether the request comes from the browser whose binding is `binding`. */
export function isBoundBrowser(request: FastifyRequest, ctx: AuthorizationServerContext, binding: string): boolean {
  const browserId = readBrowserId(request, ctx);
  return browserId !== undefined && constantTimeEqual(browserBindingOf(browserId), binding);
}

/** The consent form's CSRF token for one consent request in one browser. */
export const consentCsrfToken = (ctx: AuthorizationServerContext, browserId: string, requestId: string): string =>
  mac(ctx, "consent-csrf", `${browserId}\u0000${requestId}`);

/** Whether `token` is the CSRF token of this browser for this consent request (constant time). */
export function isConsentCsrfToken(
  ctx: AuthorizationServerContext,
  browserId: string | undefined,
  requestId: string,
  token: string | undefined,
): boolean {
  if (browserId === undefined || token === undefined) return false;
  return constantTimeEqual(consentCsrfToken(ctx, browserId, requestId), token);
}

/** The user id this browser last logged in as, when its signed cookie is intact and unexpired. */
export function readRememberedUser(request: FastifyRequest, ctx: AuthorizationServerContext): string | undefined {
  const value = readCookie(request, cookieName(ctx, "user"));
  const parts = value?.split(".");
  if (parts?.length !== 3) return undefined;
  const [encodedUser = "", expires = "", signature = ""] = parts;
  if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= Date.now()) return undefined;
  if (!constantTimeEqual(mac(ctx, "remembered-user", `${encodedUser}.${expires}`), signature)) return undefined;
  const userId = Buffer.from(encodedUser, "base64url").toString("utf8");
  return userId === "" ? undefined : userId;
}

/** Remembers `userId` in this browser (a signed cookie, `REMEMBERED_USER_MAX_AGE`). */
export function rememberUser(reply: FastifyReply, ctx: AuthorizationServerContext, userId: string): void {
  if (userId.length > MAX_USER_ID_LENGTH) return;
  const encodedUser = Buffer.from(userId, "utf8").toString("base64url");
  const expires = Math.floor(Date.now() / 1000) + REMEMBERED_USER_MAX_AGE;
  const value = `${encodedUser}.${expires}.${mac(ctx, "remembered-user", `${encodedUser}.${expires}`)}`;
  appendSetCookie(reply, serializeCookie(ctx, "user", value, REMEMBERED_USER_MAX_AGE));
}

type CookieKind = "browser" | "user";

const isSecureIssuer = (ctx: AuthorizationServerContext): boolean => ctx.config.issuer.startsWith("https:");

/** `__Host-` needs `Secure`, which a browser honours only over https: plain names on an http (loopback) issuer. */
const cookieName = (ctx: AuthorizationServerContext, kind: CookieKind): string =>
  `${isSecureIssuer(ctx) ? "__Host-" : ""}chuk-oauth-${kind}`;

function serializeCookie(
  ctx: AuthorizationServerContext,
  kind: CookieKind,
  value: string,
  maxAge: number | undefined,
): string {
  const attributes = [`${cookieName(ctx, kind)}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (isSecureIssuer(ctx)) attributes.push("Secure");
  if (maxAge !== undefined) attributes.push(`Max-Age=${maxAge}`);
  return attributes.join("; ");
}

// fastify appends to an existing `set-cookie` header rather than replacing it.
const appendSetCookie = (reply: FastifyReply, cookie: string): void => {
  reply.header("set-cookie", cookie);
};

/** The first value of cookie `name` (the most specific one, when a browser sends several). */
function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== "string") return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** HMAC-SHA256 under the cookie secret, domain-separated by `purpose`. */
const mac = (ctx: AuthorizationServerContext, purpose: string, message: string): string =>
  createHmac("sha256", ctx.cookieSecret).update(`${purpose}\u0000${message}`, "utf8").digest("base64url");
