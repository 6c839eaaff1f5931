/**
 * `subscriptions/listen` (2026-07-28): long-lived streams of opted-in change
 * notifications, each tagged with the id of the listen request that opened it.
 */

import type { ListKind } from "../../registry/change-signal.js";
import { type JsonRpcNotification, notification, type RequestId } from "../jsonrpc.js";
import { META_SUBSCRIPTION_ID } from "./meta.js";

/** The notification types a client opted in to (and we honour). */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

export interface Subscription {
  readonly id: RequestId;
  readonly filter: SubscriptionFilter;
  send(message: JsonRpcNotification): void;
  /** Ends the subscription gracefully (the listen request then completes). */
  close(): void;
}

const LIST_FILTER: Record<ListKind, keyof SubscriptionFilter> = {
  tools: "toolsListChanged",
  prompts: "promptsListChanged",
  resources: "resourcesListChanged",
};

/** A notification tagged for a subscription. */
export const tagged = (id: RequestId, method: string, params: Record<string, unknown> = {}): JsonRpcNotification =>
  notification(method, { ...params, _meta: { [META_SUBSCRIPTION_ID]: id } });

export class SubscriptionHub {
  private readonly subscriptions = new Set<Subscription>();

  get size(): number {
    return this.subscriptions.size;
  }

  add(subscription: Subscription): void {
    this.subscriptions.add(subscription);
  }

  remove(subscription: Subscription): void {
    this.subscriptions.delete(subscription);
  }

  listChanged(kind: ListKind): void {
    const key = LIST_FILTER[kind];
    for (const s of this.subscriptions) {
      if (s.filter[key] === true) s.send(tagged(s.id, `notifications/${kind}/list_changed`));
    }
  }

  resourceUpdated(uri: string): void {
    for (const s of this.subscriptions) {
      if (s.filter.resourceSubscriptions?.includes(uri))
        s.send(tagged(s.id, "notifications/resources/updated", { uri }));
    }
  }

  /** Ends every subscription gracefully (shutdown). */
  closeAll(): void {
    for (const s of [...this.subscriptions]) s.close();
    this.subscriptions.clear();
  }
}
