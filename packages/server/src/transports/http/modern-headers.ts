/**
 * 2026-07-28 request headers: `MCP-Protocol-Version`, `Mcp-Method`,
 * `Mcp-Name` and `Mcp-Param-*` mirror the body so intermediaries can route
 * on them; a server that reads the body must reject any disagreement
 * (400, HeaderMismatch -32020).
 */
import type { IncomingHttpHeaders } from "node:http";
import { headerMismatch } from "../../protocol/errors.js";
import type { JsonRpcRequest } from "../../protocol/jsonrpc.js";
import type { ModernTransportChecks } from "../../protocol/modern/dispatch.js";
import type { ModernEnvelope } from "../../protocol/modern/meta.js";
import type { ServerCore } from "../../protocol/server-core.js";
import { valueAt } from "../../registry/tool-headers.js";

const SENTINEL = /^=\?base64\?(.*)\?=$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A header value as sent, with the Base64 sentinel form decoded (strictly). */
export function decodeHeaderValue(raw: string, name: string): string {
  const m = SENTINEL.exec(raw);
  if (!m) return raw;
  const encoded = m[1] as string;
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) throw headerMismatch(`${name} is not valid Base64`);
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.toString("base64") !== encoded) throw headerMismatch(`${name} is not valid Base64`);
  return bytes.toString("utf8");
}

const one = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim();
};

/** Which body field `Mcp-Name` mirrors, per method. */
function nameSource(request: JsonRpcRequest): unknown {
  const p = request.params ?? {};
  switch (request.method) {
    case "tools/call":
    case "prompts/get":
      return p.name;
    case "resources/read":
      return p.uri;
    case "tasks/get":
    case "tasks/update":
    case "tasks/cancel":
      return p.taskId;
    default:
      return undefined;
  }
}

function headerMatches(value: unknown, header: string, type: "string" | "integer" | "boolean"): boolean {
  // Integers travel as decimal text; compare numerically ("42.0" is 42), but not 0x2A.
  if (type === "integer") return /^-?\d+(\.0+)?$/.test(header) && Number(header) === value;
  if (type === "boolean") return header === String(value);
  return header === value;
}

/** The header checks of one request; a class so that making one per request is one small object. */
export class ModernHeaderChecks implements ModernTransportChecks {
  constructor(
    private readonly server: ServerCore,
    private readonly headers: IncomingHttpHeaders,
  ) {}

  protocolVersion(envelope: ModernEnvelope): void {
    const version = one(this.headers, "mcp-protocol-version");
    if (version === undefined) throw headerMismatch("the MCP-Protocol-Version header is required");
    if (version !== envelope.protocolVersion) {
      throw headerMismatch(
        `MCP-Protocol-Version header '${version}' does not match _meta protocolVersion '${envelope.protocolVersion}'`,
      );
    }
  }

  requestHeaders(request: JsonRpcRequest): void {
    const headers = this.headers;
    const method = one(headers, "mcp-method");
    if (method === undefined) throw headerMismatch("the Mcp-Method header is required");
    if (method !== request.method) {
      throw headerMismatch(`Mcp-Method header '${method}' does not match body method '${request.method}'`);
    }
    const source = nameSource(request);
    if (source === undefined) return;
    const rawName = one(headers, "mcp-name");
    if (rawName === undefined) throw headerMismatch(`the Mcp-Name header is required for ${request.method}`);
    const name = decodeHeaderValue(rawName, "Mcp-Name");
    if (name !== source)
      throw headerMismatch(`Mcp-Name header '${name}' does not match body value '${String(source)}'`);
    if (request.method !== "tools/call") return;
    const tool = this.server.tools.get(String(source));
    if (!tool) return; // unknown tool: the call itself answers that
    for (const param of tool.headerParams) {
      const value = valueAt(request.params?.arguments, param.path);
      const headerName = `Mcp-Param-${param.header}`;
      const raw = one(headers, headerName.toLowerCase());
      if (value === undefined || value === null) continue;
      if (raw === undefined) {
        throw headerMismatch(`the ${headerName} header is required when ${param.path.join(".")} is given`);
      }
      if (!headerMatches(value, decodeHeaderValue(raw, headerName), param.type)) {
        throw headerMismatch(`${headerName} header does not match argument ${param.path.join(".")}`);
      }
    }
  }
}

/** The checks for a request's headers (see `ModernHeaderChecks`). */
export const modernHeaderChecks = (server: ServerCore, headers: IncomingHttpHeaders): ModernTransportChecks =>
  new ModernHeaderChecks(server, headers);
