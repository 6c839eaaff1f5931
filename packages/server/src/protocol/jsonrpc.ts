/**
 * JSON-RPC 2.0 message shapes and the one function that classifies an
 * incoming value. Nothing downstream re-checks what `classifyMessage` decided.
 */
import { invalidRequest, type JsonRpcErrorObject, type McpError } from "./errors.js";

export type RequestId = string | number;

export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: RequestId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcSuccess {
  jsonrpc: "2.0";
  id: RequestId;
  result: Record<string, unknown>;
}

export interface JsonRpcFailure {
  jsonrpc: "2.0";
  id: RequestId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export type ClassifiedMessage =
  | { kind: "request"; message: JsonRpcRequest }
  | { kind: "notification"; message: JsonRpcNotification }
  | { kind: "response"; message: JsonRpcResponse }
  | { kind: "invalid"; id: RequestId | null; error: McpError };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const isId = (v: unknown): v is RequestId => typeof v === "string" || (typeof v === "number" && Number.isFinite(v));

/** Decides what an incoming JSON value is, or why it is not a valid message. */
export function classifyMessage(value: unknown): ClassifiedMessage {
  if (!isRecord(value)) {
    return { kind: "invalid", id: null, error: invalidRequest("a message must be a JSON object") };
  }
  const id = isId(value.id) ? value.id : null;
  if (value.jsonrpc !== "2.0") {
    return { kind: "invalid", id, error: invalidRequest('"jsonrpc" must be "2.0"') };
  }
  if ("method" in value) {
    if (typeof value.method !== "string" || value.method.length === 0) {
      return { kind: "invalid", id, error: invalidRequest('"method" must be a non-empty string') };
    }
    if (value.params !== undefined && !isRecord(value.params)) {
      return { kind: "invalid", id, error: invalidRequest('"params" must be an object') };
    }
    if (!("id" in value)) return { kind: "notification", message: value as unknown as JsonRpcNotification };
    if (id === null) {
      return { kind: "invalid", id: null, error: invalidRequest('"id" must be a string or a number') };
    }
    return { kind: "request", message: value as unknown as JsonRpcRequest };
  }
  if ("result" in value || "error" in value) {
    if (!("id" in value)) return { kind: "invalid", id: null, error: invalidRequest("a response needs an id") };
    if ("result" in value && !isRecord(value.result)) {
      return { kind: "invalid", id, error: invalidRequest('"result" must be an object') };
    }
    if ("error" in value && !isRecord(value.error)) {
      return { kind: "invalid", id, error: invalidRequest('"error" must be an object') };
    }
    return { kind: "response", message: value as unknown as JsonRpcResponse };
  }
  return { kind: "invalid", id, error: invalidRequest("not a request, notification or response") };
}

export const success = (id: RequestId, result: Record<string, unknown>): JsonRpcSuccess => ({
  jsonrpc: "2.0",
  id,
  result,
});

export const failure = (id: RequestId | null, error: JsonRpcErrorObject): JsonRpcFailure => ({
  jsonrpc: "2.0",
  id,
  error,
});

export const notification = (method: string, params?: Record<string, unknown>): JsonRpcNotification =>
  params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params };
