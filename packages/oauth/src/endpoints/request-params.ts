/**
 * Request parameters as OAuth reads them: `application/x-www-form-urlencoded`
 * bodies (token, revocation and consent endpoints) and query strings
 * (authorization endpoint, callback). RFC 6749 §3.1 and §3.2: a parameter
 * sent more than once is an error, and so is a form body of another type.
 * Parsing here, rather than with a general body parser, keeps duplicates
 * visible and every other content type out.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";

/** Parameters of one request, each name at most once. */
export type RequestParams = ReadonlyMap<string, string>;

/**
 * What parsing found: the parameters, or why they are unusable. `raw` is
 * there either way (the authorization endpoint reads the client from it to
 * decide where a repeated-parameter error may go).
 */
export type ParsedParams =
  | { ok: true; params: RequestParams; raw: URLSearchParams }
  | { ok: false; problem: string; raw: URLSearchParams };

/** Form bodies of OAuth requests are a few hundred bytes; anything near this is not one. */
const FORM_BODY_LIMIT = 64 * 1024;

const FORM_TYPE = "application/x-www-form-urlencoded";

/**
 * Makes the routes of `scope` (an encapsulated fastify plugin) receive every
 * request body as a string, whatever its type, so handlers decide what to
 * refuse and answer with an OAuth error rather than fastify's 415.
 */
export function acceptRawBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("*", { parseAs: "string", bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) => {
    done(null, body);
  });
}

/** The form parameters of a POST whose body was kept raw by `acceptRawBodies`. */
export function formParams(request: FastifyRequest): ParsedParams {
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== FORM_TYPE) {
    return { ok: false, problem: `the request body must be ${FORM_TYPE}`, raw: new URLSearchParams() };
  }
  const body = typeof request.body === "string" ? request.body : "";
  return uniqueParams(new URLSearchParams(body));
}

/** The query parameters of a request. */
export function queryParams(request: FastifyRequest): ParsedParams {
  const index = request.url.indexOf("?");
  return uniqueParams(new URLSearchParams(index === -1 ? "" : request.url.slice(index + 1)));
}

/** Every parameter once, or the names sent more than once. Empty values count as absent (RFC 6749 §3.1). */
function uniqueParams(search: URLSearchParams): ParsedParams {
  const params = new Map<string, string>();
  const repeated = new Set<string>();
  const seen = new Set<string>();
  for (const [name, value] of search) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
    if (value !== "") params.set(name, value);
  }
  if (repeated.size > 0) {
    // Only names go into the description (RFC 6749 restricts its characters; values may be secrets).
    const names = [...repeated].map((n) => n.replace(/[^\x21-\x7e]/g, "?").slice(0, 40)).join(", ");
    return { ok: false, problem: `parameters must not be repeated: ${names}`, raw: search };
  }
  return { ok: true, params, raw: search };
}
