/**
 * Error values and their wire forms. Every JSON-RPC error code and every HTTP
 * status the MCP endpoint answers with is decided here, nowhere else.
 */

/** JSON-RPC and MCP error codes. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Legacy-era "resource not found" (2025 revisions). */
  ResourceNotFound: -32002,
  /** The client does not support what the server asked of it. */
  CapabilityMissing: -32003,
  /** A server→client request timed out or was cancelled. */
  RequestTimeout: -32001,
  /** The `Mcp-Session-Id` names no live session. */
  SessionNotFound: -32001,
  /** A request refused by a transport-level check (Origin, Host). */
  Forbidden: -32000,
  /** 2026-07-28: HTTP headers disagree with the body, or a required one is missing. */
  HeaderMismatch: -32020,
  /** 2026-07-28: the request needs a client capability it did not declare. */
  MissingRequiredClientCapability: -32021,
  /** 2026-07-28: the requested protocol version is not one we speak. */
  UnsupportedProtocolVersion: -32022,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The `error` member of a JSON-RPC error response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/**
 * An error that carries its JSON-RPC form. Throw it from a method handler (or
 * from a resource/prompt handler) to answer with that code and message.
 */
export class McpError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "McpError";
    this.code = code;
    this.data = data;
  }

  toJSON(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/**
 * An error found by the HTTP transport before (or instead of) dispatch: it has
 * an HTTP status as well as a JSON-RPC body.
 */
export class McpHttpError extends McpError {
  readonly status: number;
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, code: number, message: string, headers?: Record<string, string>, data?: unknown) {
    super(code, message, data);
    this.name = "McpHttpError";
    this.status = status;
    this.headers = headers;
  }
}

export const parseError = (detail?: string): McpError =>
  new McpError(ErrorCode.ParseError, detail ? `Parse error: ${detail}` : "Parse error");
export const invalidRequest = (detail: string): McpError =>
  new McpError(ErrorCode.InvalidRequest, `Invalid request: ${detail}`);
export const methodNotFound = (method: string): McpError =>
  new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
export const invalidParams = (detail: string, data?: unknown): McpError =>
  new McpError(ErrorCode.InvalidParams, `Invalid params: ${detail}`, data);
export const resourceNotFound = (uri: string): McpError =>
  new McpError(ErrorCode.ResourceNotFound, `Resource not found: ${uri}`, { uri });
export const capabilityMissing = (capability: string, what: string): McpError =>
  new McpError(
    ErrorCode.CapabilityMissing,
    `The client did not declare the '${capability}' capability, so ${what} is not available`,
  );

/**
 * 2026-07-28 errors. They carry an HTTP status because the Streamable HTTP
 * binding answers them with one, and they are protocol errors: a tool that
 * runs into one does not turn it into an `isError` result.
 */
export const headerMismatch = (detail: string): McpHttpError =>
  new McpHttpError(400, ErrorCode.HeaderMismatch, `Header mismatch: ${detail}`);

export const invalidEnvelope = (detail: string): McpHttpError =>
  new McpHttpError(400, ErrorCode.InvalidParams, `Invalid params: ${detail}`);

export const unsupportedProtocolVersion = (requested: string, supported: readonly string[]): McpHttpError =>
  new McpHttpError(400, ErrorCode.UnsupportedProtocolVersion, "Unsupported protocol version", undefined, {
    supported: [...supported],
    requested,
  });

/** `requiredCapabilities` is the ClientCapabilities object the request would need, e.g. `{ sampling: {} }`. */
export const missingRequiredCapability = (requiredCapabilities: Record<string, unknown>, what: string): McpHttpError =>
  new McpHttpError(
    400,
    ErrorCode.MissingRequiredClientCapability,
    `Missing required client capability: ${what}`,
    undefined,
    { requiredCapabilities },
  );

/**
 * Fails the whole request with a JSON-RPC error. Throw it from a tool when
 * the failure is not the tool's answer but a protocol error (a task then ends
 * `failed`); any other error thrown by a tool becomes an `isError` result.
 */
export const protocolError = (code: number, message: string, data?: unknown): McpHttpError =>
  new McpHttpError(200, code, message, undefined, data);

/** An unknown (or, in this era, removed) method: HTTP 404 in the modern era. */
export const modernMethodNotFound = (method: string): McpHttpError =>
  new McpHttpError(404, ErrorCode.MethodNotFound, `Method not found: ${method}`);

/**
 * The JSON-RPC error object for anything thrown while handling a request.
 * Unknown errors become -32603 with a generic message: internals and stack
 * traces never reach the client (the caller logs the original).
 */
export function toJsonRpcError(err: unknown): JsonRpcErrorObject {
  if (err instanceof McpError) return err.toJSON();
  return { code: ErrorCode.InternalError, message: "Internal error" };
}

/**
 * The message a tool's caller sees for an error thrown by the tool. A tool's
 * own error message is its answer (the spec puts tool failures in the result
 * with `isError`), but never its stack.
 */
export function toolErrorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "string") return err;
  return "Tool failed";
}
