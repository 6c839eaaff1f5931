/** Legacy-only methods: the `initialize` handshake, `ping`, `logging/setLevel`, resource subscriptions. */
import { invalidParams, invalidRequest, resourceNotFound } from "../errors.js";
import type { MethodCall, MethodResult } from "../methods/method.js";
import { requestedUri } from "../methods/resources.js";
import type { ServerCore } from "../server-core.js";
import { type ClientCapabilities, type Implementation, LOGGING_LEVELS, type LoggingLevel } from "../types.js";
import { negotiateLegacyVersion } from "../versions.js";
import type { LegacySession } from "./session.js";

export interface LegacyMethodCall extends MethodCall {
  readonly session: LegacySession;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Answers `initialize`: negotiates the version and records what the client declared. */
export function initialize(server: ServerCore, session: LegacySession, params: Record<string, unknown>): MethodResult {
  if (session.initialized) throw invalidRequest("the session is already initialized");
  if (typeof params.protocolVersion !== "string") throw invalidParams('"protocolVersion" must be a string');
  if (!isRecord(params.capabilities)) throw invalidParams('"capabilities" must be an object');
  const clientInfo = params.clientInfo;
  if (!isRecord(clientInfo) || typeof clientInfo.name !== "string" || typeof clientInfo.version !== "string") {
    throw invalidParams('"clientInfo" must have a string "name" and "version"');
  }
  session.protocolVersion = negotiateLegacyVersion(params.protocolVersion);
  session.clientCapabilities = params.capabilities as ClientCapabilities;
  session.clientInfo = clientInfo as unknown as Implementation;
  session.initialized = true;
  const result: MethodResult = {
    protocolVersion: session.protocolVersion,
    capabilities: server.capabilities,
    serverInfo: server.info,
  };
  if (server.instructions !== undefined) result.instructions = server.instructions;
  return result;
}

export const ping = (): MethodResult => ({});

export function setLogLevel({ session, params }: LegacyMethodCall): MethodResult {
  const level = params.level;
  if (!LOGGING_LEVELS.includes(level as LoggingLevel)) {
    throw invalidParams(`"level" must be one of ${LOGGING_LEVELS.join(", ")}`);
  }
  session.logLevel = level as LoggingLevel;
  return {};
}

export function subscribe({ server, session, params }: LegacyMethodCall): MethodResult {
  const uri = requestedUri(params);
  if (!server.resources.resolve(uri)) throw resourceNotFound(uri);
  session.subscriptions.add(uri);
  return {};
}

export function unsubscribe({ session, params }: LegacyMethodCall): MethodResult {
  session.subscriptions.delete(requestedUri(params));
  return {};
}
