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

/** A copy of `result` in its modern wire form (a handler's own object is never changed). */
export function completeResult(
  server: ServerCore,
  method: string,
  params: Record<string, unknown>,
  result: MethodResult,
): MethodResult {
  const out: MethodResult = { ...result, resultType: result.resultType ?? "complete" };
  const hint = cacheHintFor(server, method, params);
  if (hint) {
    out.ttlMs = hint.ttlMs;
    out.cacheScope = hint.cacheScope;
  }
  const own = result._meta as Record<string, unknown> | undefined;
  // The common case shares one frozen `_meta` object instead of building one per result.
  out._meta = own === undefined ? server.serverInfoMetaField : { ...own, ...server.serverInfoMetaField };
  return out;
}
