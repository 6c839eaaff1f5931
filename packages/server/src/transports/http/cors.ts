/**
 * CORS for the MCP endpoint, so browser-based clients (the MCP Inspector's
 * direct mode, web apps) can call it. Only origins that already passed the
 * Origin check get an answer naming them; credentials are bearer tokens in a
 * header, never cookies, so no `Allow-Credentials`. The session id and the
 * auth challenge must be readable by the page, hence the exposed headers.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

const EXPOSED = "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate";
const METHODS = "GET, POST, DELETE, OPTIONS";
/** What a client sends besides the CORS-safelisted headers (modern requests add Mcp-Method, Mcp-Name and Mcp-Param-*). */
const DEFAULT_ALLOWED_HEADERS =
  "Content-Type, Authorization, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID";
const PREFLIGHT_MAX_AGE = "600";

/**
 * Adds the CORS response headers for an allowed `origin`. Set on the raw
 * response, so they also reach streams that bypass fastify's reply (SSE).
 */
export function allowOrigin(reply: FastifyReply, origin: string): void {
  const raw = reply.raw;
  raw.setHeader("access-control-allow-origin", origin);
  raw.setHeader("access-control-expose-headers", EXPOSED);
  raw.setHeader("vary", "Origin");
}

/** Answers a preflight: the methods, and the headers the page asked for (any it may send to this endpoint). */
export function answerPreflight(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const requested = req.headers["access-control-request-headers"];
  return reply
    .code(204)
    .header("access-control-allow-methods", METHODS)
    .header(
      "access-control-allow-headers",
      typeof requested === "string" && requested !== "" ? requested : DEFAULT_ALLOWED_HEADERS,
    )
    .header("access-control-max-age", PREFLIGHT_MAX_AGE)
    .send();
}
