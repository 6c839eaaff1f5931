/**
 * The modern request envelope: what a 2026-07-28 request carries in
 * `params._meta` instead of a handshake, read and checked once.
 */
import { invalidEnvelope } from "../errors.js";
import {
  type ClientCapabilities,
  type Implementation,
  LOGGING_LEVELS,
  type LoggingLevel,
  type Meta,
} from "../types.js";

export const META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
export const META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
export const META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
export const META_LOG_LEVEL = "io.modelcontextprotocol/logLevel";
export const META_SERVER_INFO = "io.modelcontextprotocol/serverInfo";
export const META_SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

export interface ModernEnvelope {
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  clientInfo: Implementation | undefined;
  /** Undefined: the request did not ask for log messages, so it gets none. */
  logLevel: LoggingLevel | undefined;
  meta: Meta;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The protocol version a message's `_meta` names, if any: what makes a request modern. */
export function metaProtocolVersion(params: unknown): string | undefined {
  if (!isRecord(params) || !isRecord(params._meta)) return undefined;
  const v = params._meta[META_PROTOCOL_VERSION];
  return typeof v === "string" ? v : undefined;
}

/** Reads the envelope; a missing or malformed required field is -32602 (HTTP 400). */
export function readEnvelope(params: Record<string, unknown>): ModernEnvelope {
  const meta = params._meta;
  if (!isRecord(meta)) throw invalidEnvelope("params._meta is required in protocol version 2026-07-28 and later");
  const protocolVersion = meta[META_PROTOCOL_VERSION];
  if (typeof protocolVersion !== "string" || protocolVersion.length === 0) {
    throw invalidEnvelope(`_meta["${META_PROTOCOL_VERSION}"] must be a string`);
  }
  const clientCapabilities = meta[META_CLIENT_CAPABILITIES];
  if (!isRecord(clientCapabilities)) throw invalidEnvelope(`_meta["${META_CLIENT_CAPABILITIES}"] must be an object`);
  const clientInfo = meta[META_CLIENT_INFO];
  if (clientInfo !== undefined && !isRecord(clientInfo)) {
    throw invalidEnvelope(`_meta["${META_CLIENT_INFO}"] must be an object`);
  }
  const logLevel = meta[META_LOG_LEVEL];
  if (logLevel !== undefined && !LOGGING_LEVELS.includes(logLevel as LoggingLevel)) {
    throw invalidEnvelope(`_meta["${META_LOG_LEVEL}"] must be one of ${LOGGING_LEVELS.join(", ")}`);
  }
  return {
    protocolVersion,
    clientCapabilities: clientCapabilities as ClientCapabilities,
    clientInfo: clientInfo as Implementation | undefined,
    logLevel: logLevel as LoggingLevel | undefined,
    meta,
  };
}
