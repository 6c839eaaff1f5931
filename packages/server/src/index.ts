/** @chuk-mcp/server — the public API. */

export {
  AUTH_ERROR_CODE,
  type Authenticated,
  type AuthFailure,
  type AuthInfo,
  type AuthRequest,
  type AuthRequirement,
  type AuthVerifier,
  authRequirementOf,
  defaultAuthChallenge,
  missingScopes,
  principalOf,
  requiresAuth,
} from "./auth.js";
export { ConfigError } from "./config.js";
export type { InputOptions, RequestContext } from "./context.js";
export { getMcpServer, prompt, resource, resourceTemplate, run, tool } from "./default-server.js";
export type { Logger, LogLevel } from "./logging.js";
export { ErrorCode, type JsonRpcErrorObject, McpError, McpHttpError, protocolError } from "./protocol/errors.js";
export type {
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  RequestId,
} from "./protocol/jsonrpc.js";
export type * from "./protocol/types.js";
export { LATEST_LEGACY_VERSION, LEGACY_PROTOCOL_VERSIONS } from "./protocol/versions.js";
export type { ListKind } from "./registry/change-signal.js";
export type { Completer, Completers, CompletionContext } from "./registry/completions.js";
export type { PromptArgsShape, PromptHandler, PromptOptions, PromptReturn } from "./registry/prompts.js";
export type {
  ResourceOptions,
  ResourceReader,
  ResourceReturn,
  ResourceTemplateOptions,
  ResourceTemplateReader,
} from "./registry/resources.js";
export type { InputOf, InputSpec } from "./registry/schema.js";
export type { ToolReturn } from "./registry/tool-result.js";
export { type TaskMode, TOOL_NAME_PATTERN, type ToolHandler, type ToolOptions } from "./registry/tools.js";
export type { PostRegisterHook, RunningServer, RunOptions } from "./run.js";
export { ChukMCPServer, type ChukMCPServerOptions, type CustomEndpoint } from "./server.js";
export type {
  SessionBusMessage,
  SessionSharing,
  SharedAppendOptions,
  SharedSessionChange,
  SharedSessionRecord,
  SharedStreamEvent,
  SharedTaskRecord,
} from "./session-sharing.js";
export { type CreateHttpAppOptions, createHttpApp, type HttpApp } from "./transports/http/app.js";
export type { HttpTransportOptions } from "./transports/http/options.js";
export { forwardedBaseUrl, type TrustProxy } from "./transports/http/trust-proxy.js";
export { type StdioHandle, type StdioOptions, serveStdio } from "./transports/stdio.js";
