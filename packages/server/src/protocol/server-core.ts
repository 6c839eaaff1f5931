/** What the protocol layer needs of a server: its registries, identity and settings. */
import type { Logger } from "pino";
import type { AuthVerifier } from "../auth.js";
import type { TaskRegistry } from "../extensions/tasks/task-registry.js";
import type { PromptRegistry } from "../registry/prompts.js";
import type { ResourceRegistry } from "../registry/resources.js";
import type { ToolRegistry } from "../registry/tools.js";
import type { SessionBusMessage, SessionSharing } from "../session-sharing.js";
import type { LegacySession, LegacySessionOptions } from "./legacy/session.js";
import type { CacheHint, CacheHints } from "./modern/cache-hints.js";
import type { RequestStateCodec } from "./modern/request-state.js";
import type { SubscriptionHub } from "./modern/subscriptions.js";
import type { Implementation, ServerCapabilities } from "./types.js";

export interface ServerCore {
  readonly tools: ToolRegistry;
  readonly resources: ResourceRegistry;
  readonly prompts: PromptRegistry;
  readonly info: Implementation;
  readonly instructions: string | undefined;
  readonly capabilities: ServerCapabilities;
  /** Items per page in list results. */
  readonly pageSize: number;
  readonly logger: Logger;
  readonly sessionOptions: LegacySessionOptions;
  /** Installed by an auth layer (e.g. `@chuk-mcp/oauth`); undefined → no authentication. */
  readonly authVerifier: AuthVerifier | undefined;
  /** Caching hints for modern results. */
  readonly cacheHints: CacheHints;
  /** The hint for reading one resource (its own, else the server's). */
  resourceCacheHint(uri: string): CacheHint;
  /** Signs and checks `requestState` of input-required rounds. */
  readonly requestStates: RequestStateCodec;
  /** Tasks of the tasks extension. */
  readonly tasks: TaskRegistry;
  /** Modern `subscriptions/listen` streams. */
  readonly subscriptions: SubscriptionHub;
  /** `{ name, version }` for `_meta["io.modelcontextprotocol/serverInfo"]`. */
  readonly serverInfoMeta: Implementation;
  /** `{ "io.modelcontextprotocol/serverInfo": serverInfoMeta }`, frozen, shared by every modern result. */
  readonly serverInfoMetaField: Readonly<Record<string, unknown>>;
  /** Tracks a session so it hears list changes and resource updates. */
  attachSession(session: LegacySession): void;
  detachSession(session: LegacySession): void;
  /** Where legacy sessions are shared between instances; undefined: this process only. */
  readonly sessionSharing: SessionSharing | undefined;
  /** Hears what other instances (and this one) say on the sharing bus; returns the way to stop. */
  listenToInstances(listener: (message: SessionBusMessage) => void): () => void;
}
