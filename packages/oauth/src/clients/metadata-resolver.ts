/**
 * Resolves a client id that is an `https` URL to its client: from the cache
 * in the TokenStore (shared by every instance on one Redis) while the
 * document's cache lifetime lasts, else by fetching and checking the
 * document. Concurrent resolutions of one URL in this process share one
 * fetch, so a burst of requests naming a slow URL costs one outbound request.
 */
import type { Logger } from "@chuk-mcp/server";
import { ClientMetadataError } from "../errors.js";
import type { ClientRecord } from "../store/records.js";
import type { TokenStore } from "../store/token-store.js";
import { cacheLifetimeOf } from "./metadata-cache.js";
import { clientIdDocumentUrl, clientRecordOfDocument } from "./metadata-document.js";
import {
  type ClientMetadataFetchOptions,
  fetchMetadataDocument,
  type MetadataFetchPolicy,
  metadataFetchPolicy,
} from "./metadata-fetch.js";

/** What `ClientMetadataResolver` needs. */
export interface ClientMetadataResolverOptions {
  store: TokenStore;
  /** Hosts whose addresses are not checked (development: `clientMetadataAllowedHosts`). */
  allowedHosts?: Iterable<string>;
  fetch?: ClientMetadataFetchOptions;
  logger?: Pick<Logger, "info" | "warn">;
}

export class ClientMetadataResolver {
  readonly policy: MetadataFetchPolicy;
  readonly #store: TokenStore;
  readonly #logger: Pick<Logger, "info" | "warn"> | undefined;
  readonly #inFlight = new Map<string, Promise<ClientRecord>>();

  constructor(options: ClientMetadataResolverOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.policy = metadataFetchPolicy(options.allowedHosts ?? [], options.fetch);
  }

  /** The client whose `client_id` is `url`. Throws `ClientMetadataError` when it cannot be used. */
  async resolve(url: string): Promise<ClientRecord> {
    const documentUrl = clientIdDocumentUrl(url);
    const cached = await this.#store.getClientMetadataDocument(url);
    if (cached !== undefined && cached.expiresAt * 1000 > Date.now()) return cached.client;
    const running = this.#inFlight.get(url);
    if (running !== undefined) return running;
    const fetching = this.#fetch(url, documentUrl).finally(() => this.#inFlight.delete(url));
    this.#inFlight.set(url, fetching);
    return fetching;
  }

  async #fetch(url: string, documentUrl: URL): Promise<ClientRecord> {
    try {
      const fetched = await fetchMetadataDocument(documentUrl, this.policy);
      const now = Date.now();
      const fetchedAt = Math.floor(now / 1000);
      const client = clientRecordOfDocument(url, fetched.text, fetchedAt);
      const ttl = cacheLifetimeOf(fetched.headers, now);
      if (ttl > 0) {
        await this.#store.saveClientMetadataDocument({ client, fetchedAt, expiresAt: fetchedAt + ttl }, ttl);
      }
      this.#logger?.info({ clientId: url, cacheSeconds: ttl }, "fetched client metadata document");
      return client;
    } catch (err) {
      if (err instanceof ClientMetadataError) {
        // The message is ours (no document content); the cause may name the refused range, for operators.
        const cause = err.cause instanceof Error ? err.cause.message : undefined;
        this.#logger?.warn(
          { clientId: url, problem: err.problem, reason: err.description, ...(cause ? { cause } : {}) },
          "client metadata document refused",
        );
      }
      throw err;
    }
  }
}
