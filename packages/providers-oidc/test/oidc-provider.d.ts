/**
 * The part of oidc-provider 8 (which ships no types) that the test issuer
 * uses: the Provider class, its interaction helpers, grants and events.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  /** A pending login at the provider (`interactionDetails`). */
  export interface Interaction {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string };
    grantId?: string;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface GrantClass {
    new (properties: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  }

  /** The koa context the provider hands to events and configuration functions. */
  export interface ProviderContext {
    oidc?: { params?: Record<string, unknown>; client?: { clientId: string } };
  }

  export interface ClientLike {
    clientId: string;
    grantTypeAllowed(grant: string): boolean;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    readonly Grant: GrantClass;
    on(event: string, listener: (ctx: ProviderContext, ...rest: unknown[]) => void): this;
  }
}
