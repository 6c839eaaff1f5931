/** `resources/list`, `resources/templates/list` and `resources/read`. */
import { paginate } from "../../registry/pagination.js";
import { normalizeResourceContents } from "../../registry/resources.js";
import { invalidParams, resourceNotFound } from "../errors.js";
import type { MethodCall, MethodResult } from "./method.js";

export function listResources({ server, params }: MethodCall): MethodResult {
  const page = paginate(server.resources.list(), params.cursor, server.pageSize);
  return page.nextCursor === undefined
    ? { resources: page.items }
    : { resources: page.items, nextCursor: page.nextCursor };
}

export function listResourceTemplates({ server, params }: MethodCall): MethodResult {
  const page = paginate(server.resources.listTemplates(), params.cursor, server.pageSize);
  return page.nextCursor === undefined
    ? { resourceTemplates: page.items }
    : { resourceTemplates: page.items, nextCursor: page.nextCursor };
}

/** The URI a resource request names, checked. */
export function requestedUri(params: Record<string, unknown>): string {
  const uri = params.uri;
  if (typeof uri !== "string" || uri.length === 0) throw invalidParams('"uri" must be a non-empty string');
  return uri;
}

export async function readResource({ server, params, ctx }: MethodCall): Promise<MethodResult> {
  const uri = requestedUri(params);
  const found = server.resources.resolve(uri);
  if (!found) throw resourceNotFound(uri);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalidParams(`"${uri}" is not an absolute URI`);
  }
  const value =
    found.kind === "resource" ? await found.entry.read(url, ctx) : await found.entry.read(url, found.variables, ctx);
  return { contents: normalizeResourceContents(uri, value, found.entry.definition.mimeType) };
}
