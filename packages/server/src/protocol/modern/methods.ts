/** Modern-only methods: `server/discover` and `subscriptions/listen`. */
import { TASKS_EXTENSION } from "../../extensions/tasks/task.js";
import type { LazyAbort } from "../cancellation.js";
import type { MessageChannel } from "../channel.js";
import { invalidParams } from "../errors.js";
import type { RequestId } from "../jsonrpc.js";
import type { MethodCall, MethodResult } from "../methods/method.js";
import type { ServerCapabilities } from "../types.js";
import { SUPPORTED_PROTOCOL_VERSIONS } from "../versions.js";
import type { ModernEnvelope } from "./meta.js";
import { META_SUBSCRIPTION_ID } from "./meta.js";
import { type Subscription, type SubscriptionFilter, tagged } from "./subscriptions.js";

export interface ModernMethodCall extends MethodCall {
  readonly requestId: RequestId;
  readonly envelope: ModernEnvelope;
  /** This request's response stream. */
  readonly channel: MessageChannel;
  /** Pulled when the client gives up on the request. */
  readonly cancel: LazyAbort;
}

export function discover({ server }: ModernMethodCall): MethodResult {
  const usesTasks = [...server.tools.entries()].some((t) => t.task !== undefined);
  const result: MethodResult = {
    supportedVersions: SUPPORTED_PROTOCOL_VERSIONS,
    // Extensions are a modern-era notion: only discover declares them.
    capabilities: usesTasks
      ? { ...server.capabilities, extensions: { ...server.capabilities.extensions, [TASKS_EXTENSION]: {} } }
      : server.capabilities,
  };
  if (server.instructions !== undefined) result.instructions = server.instructions;
  return result;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The part of the client's filter we can honour, given what the server declares. */
function honouredFilter(requested: unknown, capabilities: ServerCapabilities): SubscriptionFilter {
  if (requested === undefined) return {};
  if (!isRecord(requested)) throw invalidParams('"notifications" must be an object');
  const out: SubscriptionFilter = {};
  if (requested.toolsListChanged === true && capabilities.tools?.listChanged) out.toolsListChanged = true;
  if (requested.promptsListChanged === true && capabilities.prompts?.listChanged) out.promptsListChanged = true;
  if (requested.resourcesListChanged === true && capabilities.resources?.listChanged) out.resourcesListChanged = true;
  const uris = requested.resourceSubscriptions;
  if (uris !== undefined) {
    if (!Array.isArray(uris) || !uris.every((u) => typeof u === "string")) {
      throw invalidParams('"notifications.resourceSubscriptions" must be an array of URIs');
    }
    if (capabilities.resources?.subscribe) out.resourceSubscriptions = [...new Set(uris as string[])];
  }
  return out;
}

/**
 * Opens a subscription: acknowledges with the honoured filter, then relays
 * matching changes until the client goes away (no answer) or the server
 * shuts down (a graceful completion result).
 */
export function listen({ server, params, requestId, channel, cancel }: ModernMethodCall): Promise<MethodResult> {
  const send: Subscription["send"] = (m) => channel.send(m);
  const filter = honouredFilter(params.notifications, server.capabilities);
  send(tagged(requestId, "notifications/subscriptions/acknowledged", { notifications: filter }));
  return new Promise((resolve) => {
    const subscription: Subscription = {
      id: requestId,
      filter,
      send,
      close: () => resolve({ _meta: { [META_SUBSCRIPTION_ID]: requestId } }),
    };
    server.subscriptions.add(subscription);
    cancel.signal.addEventListener(
      "abort",
      () => {
        server.subscriptions.remove(subscription);
        resolve({});
      },
      { once: true },
    );
  });
}
