/** What a legacy-era request gives its handler: the session's state, the request's channel. */
import type { AuthInfo } from "../../auth.js";
import type { RequestScope } from "../../context.js";
import type { LazyAbort } from "../cancellation.js";
import type { MessageChannel } from "../channel.js";
import { notification, type RequestId } from "../jsonrpc.js";
import type { ClientCapabilities, Implementation, LoggingLevel, Meta } from "../types.js";
import type { LegacySession } from "./session.js";

/** A class, not an object literal: one allocation per request, methods shared. */
export class LegacyScope implements RequestScope {
  readonly era = "legacy" as const;
  readonly tasksAvailable = false;

  constructor(
    readonly requestId: RequestId,
    private readonly session: LegacySession,
    private readonly channel: MessageChannel,
    private readonly cancel: LazyAbort,
    readonly auth: AuthInfo | undefined,
    readonly meta: Meta | undefined,
  ) {}

  get signal(): AbortSignal {
    return this.cancel.signal;
  }
  get sessionId(): string | undefined {
    return this.session.id;
  }
  get protocolVersion(): string {
    return this.session.protocolVersion;
  }
  get clientInfo(): Implementation | undefined {
    return this.session.clientInfo;
  }
  get clientCapabilities(): ClientCapabilities {
    return this.session.clientCapabilities;
  }
  get minLogLevel(): LoggingLevel | undefined {
    return this.session.logLevel;
  }

  notify(method: string, params: Record<string, unknown>): void {
    this.channel.send(notification(method, params));
  }

  request(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.session.request(method, params, this.channel, this.cancel.signal);
  }

  closeStream(): void {
    this.channel.disconnect?.();
  }

  beginTask(): Promise<void> {
    return Promise.resolve();
  }
}
