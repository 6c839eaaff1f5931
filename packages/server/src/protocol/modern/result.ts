/** What every modern result carries: `resultType`, the server's identity, and cache hints where they apply. */
import type { MethodResult } from "../methods/method.js";
import type { ServerCore } from "../server-core.js";
import type { CacheHint } from "./cache-hints.js";

function cacheHintFor(server: ServerCore, method: string, params: Record<string, unknown>): CacheHint | undefined {
  switch (method) {
    case "tools/list":
    case "prompts/list":
    case "resources/list":
    case "resources/templates/list":
      return server.cacheHints.lists;
    case "server/discover":
      return server.cacheHints.discover;
    case "resources/read":
      return server.resourceCacheHint(params.uri as string);
    default:
      return undefined;
  }
}

/**
 * Puts `result` in its modern wire form, in place: method handlers return
 * objects made for this call (never a handler's own object), so there is
 * nothing to copy on the hot path.
 */
export function completeResult(
  server: ServerCore,
  method: string,
  params: Record<string, unknown>,
  result: MethodResult,
): MethodResult {
  if (result.resultType === undefined) result.resultType = "complete";
  const hint = cacheHintFor(server, method, params);
  if (hint) {
    result.ttlMs = hint.ttlMs;
    result.cacheScope = hint.cacheScope;
  }
  const own = result._meta as Record<string, unknown> | undefined;
  // The common case shares one frozen `_meta` object instead of building one per result.
  result._meta = own === undefined ? server.serverInfoMetaField : { ...own, ...server.serverInfoMetaField };
  return result;
}
