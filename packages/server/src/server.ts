/**
 * ChukMCPServer: the registries (tools, resources, templates, prompts),
 * identity, settings, and `run()`. Transports and eras read it through the
 * `ServerCore` view; handlers never see it directly.
 */
import type { FastifyInstance, RouteHandlerMethod } from "fastify";
import type { AuthVerifier } from "./auth.js";
import { readServerEnv } from "./config.js";
import { DEFAULT_TASK_SETTINGS, TaskRegistry, type TaskSettings } from "./extensions/tasks/task-registry.js";
import { createLogger, type Logger, type LogLevel } from "./logging.js";
import type { LegacySession, LegacySessionOptions } from "./protocol/legacy/session.js";
import { type CacheHint, type CacheHints, checkCacheHint, DEFAULT_CACHE_HINTS } from "./protocol/modern/cache-hints.js";
import { META_SERVER_INFO } from "./protocol/modern/meta.js";
import { RequestStateCodec } from "./protocol/modern/request-state.js";
import { SubscriptionHub } from "./protocol/modern/subscriptions.js";
import type { ServerCore } from "./protocol/server-core.js";
import type { Icon, Implementation, LoggingLevel, ServerCapabilities } from "./protocol/types.js";
import type { ListKind } from "./registry/change-signal.js";
import { type PromptArgsShape, type PromptHandler, type PromptOptions, PromptRegistry } from "./registry/prompts.js";
import {
  type ResourceOptions,
  type ResourceReader,
  ResourceRegistry,
  type ResourceTemplateOptions,
  type ResourceTemplateReader,
} from "./registry/resources.js";
import type { InputSpec } from "./registry/schema.js";
import { type ToolHandler, type ToolOptions, ToolRegistry } from "./registry/tools.js";
import type { RunningServer, RunOptions } from "./run.js";
import { runServer } from "./run.js";
import type { SessionBusMessage, SessionSharing } from "./session-sharing.js";

/** Identity and behaviour of a server. */
export interface ChukMCPServerOptions {
  /** Shown to clients as `serverInfo.version`. Default "0.1.0". */
  version?: string;
  /** A human-friendly name for the server. */
  title?: string;
  description?: string;
  /** How to use this server, for the client's model. */
  instructions?: string;
  icons?: Icon[];
  websiteUrl?: string;
  /** Items per page in list results. Default 100. */
  pageSize?: number;
  /** A pino logger to use instead of the framework's own (stderr). */
  logger?: Logger;
  /** Level of the framework's own logger. Default from `LOG_LEVEL`, else "info". */
  logLevel?: LogLevel;
  /**
   * The level `ctx.log()` messages reach a legacy client at until it calls
   * `logging/setLevel`. Default "info"; "none" sends nothing until asked.
   */
  clientLogLevel?: LoggingLevel | "none";
  /** How long `ctx.elicit()` / `ctx.sample()` / `ctx.listRoots()` wait for the client. Default 5 minutes. */
  clientRequestTimeoutMs?: number;
  /** Capabilities to add to (or override in) what the server declares. */
  capabilities?: ServerCapabilities;
  /** Caching hints on modern results (defaults: `DEFAULT_CACHE_HINTS`). */
  cache?: Partial<CacheHints>;
  /**
   * Signing of `requestState` in input-required rounds. `secret` (default:
   * `MCP_REQUEST_STATE_SECRET`, else random per process) must be the same on
   * every instance behind a load balancer; `ttlMs` (default 10 minutes) bounds
   * how long a client may take to answer.
   */
  requestState?: { secret?: string; ttlMs?: number };
  /** Tasks extension: how long finished tasks stay readable and the suggested polling interval. */
  tasks?: Partial<TaskSettings>;
}

export interface CustomEndpoint {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  handler: RouteHandlerMethod;
}

export class ChukMCPServer implements ServerCore {
  readonly tools: ToolRegistry;
  readonly resources: ResourceRegistry;
  readonly prompts: PromptRegistry;
  readonly info: Implementation;
  readonly instructions: string | undefined;
  readonly capabilities: ServerCapabilities;
  readonly pageSize: number;
  readonly sessionOptions: LegacySessionOptions;
  readonly cacheHints: CacheHints;
  readonly requestStates: RequestStateCodec;
  readonly subscriptions = new SubscriptionHub();
  readonly tasks: TaskRegistry;
  readonly serverInfoMeta: Implementation;
  readonly serverInfoMetaField: Readonly<Record<string, unknown>>;
  /** Routes mounted beside the MCP endpoint when the HTTP transport starts. */
  readonly endpoints: CustomEndpoint[] = [];
  private currentLogger: Logger;
  private readonly ownLogger: boolean;
  private verifier: AuthVerifier | undefined;
  private httpPath: string | undefined;
  private readonly startupTasks: Promise<{ error: unknown } | undefined>[] = [];
  private httpApp: FastifyInstance | undefined;
  private readonly sessions = new Set<LegacySession>();
  private sharing: SessionSharing | undefined;
  private readonly busListeners = new Set<(message: SessionBusMessage) => void>();

  constructor(name: string, options: ChukMCPServerOptions = {}) {
    if (typeof name !== "string" || name.length === 0) throw new TypeError("ChukMCPServer needs a name");
    const onChange = (kind: ListKind) => this.broadcastListChanged(kind);
    this.tools = new ToolRegistry(onChange);
    this.resources = new ResourceRegistry(onChange);
    this.prompts = new PromptRegistry(onChange);
    this.info = { name, version: options.version ?? "0.1.0" };
    if (options.title !== undefined) this.info.title = options.title;
    if (options.description !== undefined) this.info.description = options.description;
    if (options.icons !== undefined) this.info.icons = options.icons;
    if (options.websiteUrl !== undefined) this.info.websiteUrl = options.websiteUrl;
    this.instructions = options.instructions;
    this.capabilities = {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
      ...options.capabilities,
    };
    this.pageSize = options.pageSize ?? 100;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1)
      throw new TypeError("pageSize must be a positive integer");
    this.sessionOptions = {
      defaultLogLevel: options.clientLogLevel === "none" ? undefined : (options.clientLogLevel ?? "info"),
      clientRequestTimeoutMs: options.clientRequestTimeoutMs ?? 5 * 60 * 1000,
    };
    // Every modern result carries it: the identity without the heavier parts (icons).
    this.serverInfoMeta = { name, version: this.info.version };
    if (options.title !== undefined) this.serverInfoMeta.title = options.title;
    this.serverInfoMetaField = Object.freeze({ [META_SERVER_INFO]: this.serverInfoMeta });
    this.cacheHints = {
      lists: checkCacheHint(options.cache?.lists ?? DEFAULT_CACHE_HINTS.lists, "cache.lists"),
      discover: checkCacheHint(options.cache?.discover ?? DEFAULT_CACHE_HINTS.discover, "cache.discover"),
      resources: checkCacheHint(options.cache?.resources ?? DEFAULT_CACHE_HINTS.resources, "cache.resources"),
    };
    this.requestStates = new RequestStateCodec(
      options.requestState?.secret ?? readServerEnv().MCP_REQUEST_STATE_SECRET,
      options.requestState?.ttlMs ?? 10 * 60 * 1000,
    );
    this.tasks = new TaskRegistry(
      { ...DEFAULT_TASK_SETTINGS, ...options.tasks },
      { sharing: () => this.sharing, logger: () => this.logger },
    );
    this.ownLogger = options.logger === undefined;
    this.currentLogger = options.logger ?? createLogger(name, options.logLevel ?? envLogLevel() ?? "info");
  }

  get logger(): Logger {
    return this.currentLogger;
  }

  /** Sets the framework logger's level (ignored when you passed your own logger). */
  setLogLevel(level: LogLevel): void {
    if (this.ownLogger) this.currentLogger.level = level;
  }

  // ---- registration ----------------------------------------------------------

  /**
   * Registers a tool. `options.input` is a zod object schema (or its shape);
   * arguments are validated against it before the handler runs.
   */
  tool<I extends InputSpec | undefined = undefined, O extends InputSpec | undefined = undefined>(
    name: string,
    options: ToolOptions<I, O>,
    handler: ToolHandler<I, O>,
  ): this;
  tool(name: string, handler: ToolHandler): this;
  tool(
    name: string,
    a: ToolOptions<InputSpec | undefined, InputSpec | undefined> | ToolHandler,
    b?: ToolHandler<InputSpec | undefined, InputSpec | undefined>,
  ): this {
    if (typeof a === "function") this.tools.add(name, {}, a);
    else this.tools.add(name, a, b as ToolHandler<InputSpec | undefined, InputSpec | undefined>);
    return this;
  }

  /** Registers a resource at a fixed URI. */
  resource(uri: string, options: ResourceOptions, read: ResourceReader): this;
  resource(uri: string, read: ResourceReader): this;
  resource(uri: string, a: ResourceOptions | ResourceReader, b?: ResourceReader): this {
    if (typeof a === "function") this.resources.add(uri, {}, a);
    else this.resources.add(uri, a, b as ResourceReader);
    return this;
  }

  /** Registers a resource template (RFC 6570), e.g. `file:///{path}`. */
  resourceTemplate(uriTemplate: string, options: ResourceTemplateOptions, read: ResourceTemplateReader): this {
    this.resources.addTemplate(uriTemplate, options, read);
    return this;
  }

  /** Registers a prompt; its arguments are a shape of zod string schemas. */
  prompt<A extends PromptArgsShape | undefined = undefined>(
    name: string,
    options: PromptOptions<A>,
    handler: PromptHandler<A>,
  ): this;
  prompt(name: string, handler: PromptHandler<undefined>): this;
  prompt(
    name: string,
    a: PromptOptions<PromptArgsShape | undefined> | PromptHandler<undefined>,
    b?: PromptHandler<PromptArgsShape | undefined>,
  ): this {
    if (typeof a === "function") this.prompts.add(name, {}, a);
    else this.prompts.add(name, a, b as PromptHandler<PromptArgsShape | undefined>);
    return this;
  }

  removeTool(name: string): boolean {
    return this.tools.remove(name);
  }
  removeResource(uri: string): boolean {
    return this.resources.remove(uri);
  }
  removeResourceTemplate(uriTemplate: string): boolean {
    return this.resources.removeTemplate(uriTemplate);
  }
  removePrompt(name: string): boolean {
    return this.prompts.remove(name);
  }

  /** Adds an HTTP route beside the MCP endpoint (mounted when the HTTP transport starts). */
  endpoint(method: CustomEndpoint["method"], path: string, handler: RouteHandlerMethod): this {
    if (this.httpApp) this.httpApp.route({ method, url: path, handler });
    else this.endpoints.push({ method, path, handler });
    return this;
  }

  // ---- notifications ---------------------------------------------------------

  /**
   * Tells clients subscribed to `uri` (legacy sessions and modern
   * subscriptions) that it changed — on every instance when sessions are shared.
   */
  notifyResourceUpdated(uri: string): void {
    if (this.sharing) this.publishToInstances({ type: "resource-updated", uri });
    else this.deliverResourceUpdated(uri);
  }

  private deliverResourceUpdated(uri: string): void {
    for (const session of this.sessions) {
      if (session.subscriptions.has(uri)) session.notify("notifications/resources/updated", { uri });
    }
    this.subscriptions.resourceUpdated(uri);
  }

  private broadcastListChanged(kind: ListKind): void {
    if (this.sharing) this.publishToInstances({ type: "list-changed", list: kind });
    else this.deliverListChanged(kind);
  }

  private deliverListChanged(kind: ListKind): void {
    for (const session of this.sessions) {
      if (session.ready) session.notify(`notifications/${kind}/list_changed`);
    }
    this.subscriptions.listChanged(kind);
  }

  // ---- several instances -------------------------------------------------------

  /** Where legacy sessions are shared between instances; undefined: in this process only. */
  get sessionSharing(): SessionSharing | undefined {
    return this.sharing;
  }

  /**
   * Shares legacy HTTP sessions, their stream events and announcements with
   * the other instances through `sharing` (see `SessionSharing`). Call it
   * before the server listens (e.g. in `postRegisterHook`); the OAuth
   * middleware does when its store is on Redis.
   */
  shareSessions(sharing: SessionSharing): this {
    if (this.httpApp?.server.listening) throw new Error("shareSessions() must be called before the server listens");
    this.sharing = sharing;
    this.beforeListen(sharing.subscribe((message) => this.onInstanceMessage(message)));
    return this;
  }

  /** @internal The HTTP transport hears the bus here; returns the way to stop. */
  listenToInstances(listener: (message: SessionBusMessage) => void): () => void {
    this.busListeners.add(listener);
    return () => this.busListeners.delete(listener);
  }

  private onInstanceMessage(message: SessionBusMessage): void {
    if (message.type === "resource-updated") this.deliverResourceUpdated(message.uri);
    else if (message.type === "list-changed") this.deliverListChanged(message.list);
    else this.tasks.onInstanceMessage(message);
    for (const listener of this.busListeners) listener(message);
  }

  private publishToInstances(message: SessionBusMessage): void {
    this.sharing?.publish(message).catch((err: unknown) => {
      this.logger.warn({ err: (err as Error).message, type: message.type }, "could not tell the other instances");
    });
  }

  /** The caching hint for reading `uri`: the resource's (or its template's) own, else the server's. */
  resourceCacheHint(uri: string): CacheHint {
    const found = this.resources.resolve(uri);
    return found?.entry.cache ?? this.cacheHints.resources;
  }

  /** @internal Transports register their sessions here. */
  attachSession(session: LegacySession): void {
    this.sessions.add(session);
  }
  /** @internal */
  detachSession(session: LegacySession): void {
    this.sessions.delete(session);
  }

  // ---- auth seam ---------------------------------------------------------------

  get authVerifier(): AuthVerifier | undefined {
    return this.verifier;
  }

  /** Installs the verifier that turns request credentials into `ctx.auth`. */
  setAuthVerifier(verifier: AuthVerifier | undefined): this {
    this.verifier = verifier;
    return this;
  }

  /**
   * Work that must finish before the HTTP transport listens (key generation,
   * a store connection): `run()` awaits every task added here, after
   * `postRegisterHook` and before `listen`, and fails to start if one fails.
   */
  beforeListen(task: Promise<unknown>): this {
    // Held as a settled-state promise so an early rejection is never "unhandled".
    this.startupTasks.push(
      task.then(
        () => undefined,
        (error: unknown) => ({ error }),
      ),
    );
    return this;
  }

  /** @internal Awaits (and forgets) the tasks added with `beforeListen`; throws the first failure. */
  async startupComplete(): Promise<void> {
    const tasks = this.startupTasks.splice(0);
    for (const outcome of await Promise.all(tasks)) if (outcome) throw outcome.error;
  }

  // ---- running -------------------------------------------------------------------

  /** The fastify instance, once the HTTP transport has been created (e.g. in `postRegisterHook`). */
  get http(): FastifyInstance | undefined {
    return this.httpApp;
  }

  /** The MCP endpoint's path on the HTTP server (`/mcp` unless configured), once the HTTP transport exists. */
  get mcpPath(): string | undefined {
    return this.httpPath;
  }

  /** @internal Set by the HTTP transport. */
  bindHttp(app: FastifyInstance | undefined, path?: string): void {
    this.httpApp = app;
    this.httpPath = app ? path : undefined;
  }

  /** Starts serving over STDIO or Streamable HTTP; see `RunOptions`. */
  run(options: RunOptions = {}): Promise<RunningServer> {
    return runServer(this, options);
  }
}

const envLogLevel = (): LogLevel | undefined => readServerEnv().LOG_LEVEL;
