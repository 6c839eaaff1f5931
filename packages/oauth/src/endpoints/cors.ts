/**
 * Cross-origin access to the public, credential-less endpoints: metadata
 * documents, the JWKS and client registration. Browser-based MCP clients
 * (the MCP Inspector, web apps) fetch these from another origin, so they
 * answer with `Access-Control-Allow-Origin: *` and a preflight. The wildcard
 * is safe here: these endpoints use no cookies, and browsers never send
 * credentials to a wildcard origin. Endpoints that do use cookies (authorize,
 * consent) must not use this helper.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** What preflights allow when the browser does not say which headers it will send. */
const DEFAULT_ALLOWED_HEADERS = "Authorization, Content-Type, MCP-Protocol-Version";

/** A comma-separated list of header names (RFC 9110 tokens), as `Access-Control-Request-Headers` sends it. */
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/** A day: how long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE = "86400";

/** Methods fastify routes that are refused with 405 when an endpoint does not serve them. */
const REFUSABLE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Lets any origin read this response (no credentials). */
export function allowAnyOrigin(reply: FastifyReply): FastifyReply {
  return reply.header("access-control-allow-origin", "*");
}

/**
 * Serves `url` cross-origin: answers the CORS preflight (`OPTIONS`) and
 * refuses every method besides `methods` (and `HEAD` with `GET`) with 405 and
 * an `Allow` header. The handlers of `methods` call `allowAnyOrigin`.
 */
export function crossOriginEndpoint(app: FastifyInstance, url: string, methods: readonly ("GET" | "POST")[]): void {
  const served: string[] = [...methods];
  if (methods.includes("GET")) served.push("HEAD");
  served.push("OPTIONS");
  const allow = served.join(", ");

  app.options(url, async (req, reply) => {
    allowAnyOrigin(reply)
      .header("access-control-allow-methods", allow)
      .header("access-control-allow-headers", requestedHeaders(req))
      .header("access-control-max-age", PREFLIGHT_MAX_AGE)
      .header("vary", "Access-Control-Request-Headers")
      .header("allow", allow)
      .code(204)
      .send();
  });

  const refused = REFUSABLE_METHODS.filter((m) => !served.includes(m));
  if (refused.length > 0) {
    app.route({
      method: refused,
      url,
      handler: async (_req, reply) => {
        // No body: 405 with `Allow` says it all, and it is not an OAuth error.
        allowAnyOrigin(reply).header("allow", allow).code(405).send();
      },
    });
  }
}

/** The headers the browser asked to send, when they are a well-formed list; otherwise the usual ones. */
function requestedHeaders(req: FastifyRequest): string {
  const asked = req.headers["access-control-request-headers"];
  if (typeof asked !== "string") return DEFAULT_ALLOWED_HEADERS;
  const list = asked.trim();
  return list.length > 0 && list.length <= 1024 && HEADER_LIST.test(list) ? list : DEFAULT_ALLOWED_HEADERS;
}
