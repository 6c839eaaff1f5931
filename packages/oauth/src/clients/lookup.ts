/**
 * The one way endpoints find a client by its `client_id`: a registered (or
 * pre-registered) client from the store, or, when the id is an `https` URL,
 * the client its metadata document describes. The authorization, consent,
 * token and revocation endpoints all call this, so both kinds of client obey
 * the same rules everywhere.
 */
import type { AuthorizationServerContext } from "../context.js";
import type { ClientRecord } from "../store/records.js";
import { isClientIdUrl } from "./metadata-document.js";

/** Finds a client by id; how client authentication and the endpoints look clients up. */
export type ClientLookup = (clientId: string) => Promise<ClientRecord | undefined>;

/**
 * The client `clientId` names, `undefined` when no such client is registered.
 * For a URL-form id, throws `ClientMetadataError` when its metadata document
 * cannot be used (never `undefined`: the reason matters to whoever sent it).
 */
export async function findClient(
  ctx: Pick<AuthorizationServerContext, "store" | "clientMetadata">,
  clientId: string,
): Promise<ClientRecord | undefined> {
  if (isClientIdUrl(clientId)) return ctx.clientMetadata.resolve(clientId);
  return ctx.store.getClient(clientId);
}

/** `findClient` bound to `ctx`. */
export const clientLookupOf =
  (ctx: Pick<AuthorizationServerContext, "store" | "clientMetadata">): ClientLookup =>
  (clientId) =>
    findClient(ctx, clientId);
