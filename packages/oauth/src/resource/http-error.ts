/**
 * How the resource server's refusals reach an MCP client: one function turns
 * whatever `verify`, `challenge` or `prepare` fails with into the
 * `McpHttpError` the HTTP transport sends. OAuth refusals keep the status and
 * `WWW-Authenticate` challenge `oauthErrorResponse` decides (src/errors.ts);
 * an unavailable dependency is a 503 or 502 saying which, never a 500 with
 * internals.
 */
import { AUTH_ERROR_CODE, ErrorCode, McpHttpError } from "@chuk-mcp/server";
import { oauthErrorResponse, ResourceServerError } from "../errors.js";
import { DependencyUnavailableError } from "./dependency.js";

/** Seconds a client should wait before retrying when the store is unavailable. */
const STORE_RETRY_AFTER_SECONDS = 5;

const DEFAULT_MESSAGES: Record<number, string> = {
  400: "Invalid authorization request",
  401: "Authentication required",
  403: "Insufficient scope",
};

/**
 * The HTTP error for `err`: a `ResourceServerError` with its RFC 6750 status
 * and challenge (pointing at `resourceMetadata`, RFC 9728 §5.1) and JSON-RPC
 * code `AUTH_ERROR_CODE`; a `DependencyUnavailableError` as 503 (store) or
 * 502 (upstream); anything else as a bare 500.
 */
export function resourceHttpError(err: unknown, resourceMetadata: string | undefined): McpHttpError {
  if (err instanceof DependencyUnavailableError) {
    if (err.dependency === "store") {
      return new McpHttpError(503, ErrorCode.InternalError, err.message, {
        "cache-control": "no-store",
        "retry-after": String(STORE_RETRY_AFTER_SECONDS),
      });
    }
    return new McpHttpError(502, ErrorCode.InternalError, err.message, { "cache-control": "no-store" });
  }
  const response = oauthErrorResponse(err, resourceMetadata === undefined ? {} : { resourceMetadata });
  if (!(err instanceof ResourceServerError)) {
    return new McpHttpError(response.status, ErrorCode.InternalError, "Internal error", response.headers);
  }
  const message = err.description ?? DEFAULT_MESSAGES[response.status] ?? "Unauthorized";
  return new McpHttpError(response.status, AUTH_ERROR_CODE, message, response.headers, response.body);
}
