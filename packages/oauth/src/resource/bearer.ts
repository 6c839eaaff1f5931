/**
 * Reading the access token a request presents (RFC 6750 §2, OAuth 2.1 §5.1):
 * only the `Authorization: Bearer <token68>` header counts. A token in the
 * URI query is refused outright (the MCP authorization spec forbids it, and
 * it ends up in access logs), as is a malformed or repeated header; a
 * request with no credentials at all is not an error here — whether it
 * needs them is the auth gate's decision.
 */
import type { AuthRequest } from "@chuk-mcp/server";
import { ResourceServerError } from "../errors.js";

/** RFC 7235 §2.1 `token68`: what may follow `Bearer ` (RFC 6750 §2.1 `b64token`). */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** `<scheme> <credentials>`: the scheme, one or more spaces, the rest. */
const CREDENTIALS = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: +(.*))?$/;

const invalidRequest = (description: string): ResourceServerError =>
  new ResourceServerError("invalid_request", description);

/**
 * The bearer token `request` presents, or `undefined` when it presents no
 * credentials. Throws a `ResourceServerError`: `invalid_request` (400) for a
 * token in the query, a repeated `Authorization` header or a malformed Bearer
 * credential; a challenge without an error code (401) for another
 * authentication scheme, as RFC 6750 §3.1 asks for an unsupported method.
 */
export function readBearerToken(request: Pick<AuthRequest, "url" | "headers">): string | undefined {
  if (hasQueryToken(request.url)) {
    throw invalidRequest("Access tokens must be sent in the Authorization header, never in the URI query");
  }
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  if (Array.isArray(header)) {
    if (header.length === 0) return undefined;
    throw invalidRequest("The request carries more than one Authorization header");
  }
  const value = header.trim();
  if (value === "") throw invalidRequest("The Authorization header is empty");
  const match = CREDENTIALS.exec(value);
  if (!match) throw invalidRequest("The Authorization header is malformed");
  const [, scheme = "", credentials] = match;
  if (scheme.toLowerCase() !== "bearer") {
    // No error code (RFC 6750 §3.1): to a Bearer resource, another scheme is no credentials at all.
    throw new ResourceServerError(undefined, "This server accepts only Bearer access tokens");
  }
  if (credentials === undefined || credentials === "") throw invalidRequest("The Bearer credential has no token");
  if (!TOKEN68.test(credentials)) throw invalidRequest("The Bearer token is malformed");
  return credentials;
}

/** Whether the URL's query has an `access_token` parameter (RFC 6750 §2.3, which OAuth 2.1 and MCP forbid). */
function hasQueryToken(url: string): boolean {
  const start = url.indexOf("?");
  if (start < 0) return false;
  return new URLSearchParams(url.slice(start + 1)).has("access_token");
}
