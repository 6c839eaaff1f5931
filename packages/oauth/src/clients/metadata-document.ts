/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
 * the MCP 2026-07-28 spec's preferred registration): a client whose
 * `client_id` is an `https` URL publishes its metadata there. This module
 * holds the rules for the URL ("Client Identifier") and for the document
 * ("Client Metadata Document"), and turns a valid document into the same
 * `ClientRecord` a registration would make, so every endpoint treats both
 * kinds of client alike.
 *
 * The document is checked with the registration endpoint's validator
 * (`parseClientMetadata`: redirect URIs, grant and response types, sizes), plus
 * what the draft and the MCP spec add: `client_id` equal to the URL,
 * `client_name` and `redirect_uris` required, no shared secret. This server
 * has no key-based client authentication, so only public clients
 * (`token_endpoint_auth_method` `none`, the default here) are accepted.
 */
import { ClientMetadataError, RegistrationError } from "../errors.js";
import type { ClientRecord } from "../store/records.js";
import { clientRecordOf, parseClientMetadata } from "./registration.js";

/** The longest client id URL we fetch (the token endpoint reads no longer client ids either). */
export const MAX_CLIENT_ID_URL_LENGTH = 512;

/** Shared-secret methods a metadata document must not name ("Client Metadata Document"): there is no way to share the secret. */
const SHARED_SECRET_METHODS: ReadonlySet<string> = new Set([
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
]);

/**
 * Whether `clientId` is meant as a metadata document URL: it starts with an
 * `http:` or `https:` scheme. Such ids are never looked up among registered
 * clients (ours are UUIDs), and an `http:` one is refused, not ignored.
 */
export function isClientIdUrl(clientId: string): boolean {
  return /^https?:/i.test(clientId);
}

/**
 * The URL of a client id, checked against the draft's "Client Identifier": `https`, a path
 * other than `/`, no `.` or `..` segments, no fragment, no user name or
 * password; a query is allowed (the draft discourages it), a port too. The
 * id must also be written as the URL parser writes it (lower-case scheme and
 * host, no default port, nothing the parser would rewrite), so that the
 * document's `client_id`, the URL fetched and the id in tokens are one
 * string. Throws `ClientMetadataError("invalid_client_id_url")`.
 */
export function clientIdDocumentUrl(clientId: string): URL {
  const refuse = (rule: string) => new ClientMetadataError("invalid_client_id_url", `the client_id URL ${rule}`);
  if (clientId.length > MAX_CLIENT_ID_URL_LENGTH) {
    throw refuse(`is longer than ${MAX_CLIENT_ID_URL_LENGTH} characters`);
  }
  if (/[^\x21-\x7e]/.test(clientId)) throw refuse("contains whitespace, control or non-ASCII characters");
  if (!/^https:/i.test(clientId)) throw refuse("must use https");
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw refuse("is not a valid URL");
  }
  if (clientId.includes("#")) throw refuse("must not contain a fragment");
  if (url.username !== "" || url.password !== "" || /^https:\/\/[^/?]*@/i.test(clientId)) {
    throw refuse("must not contain a user name or password");
  }
  const rawPath = clientId.replace(/^https:\/\/[^/?]*/i, "").split("?", 1)[0] ?? "";
  if (rawPath.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw refuse("must not contain . or .. path segments");
  }
  if (url.pathname === "/") throw refuse("must have a path (e.g. https://example.com/client.json)");
  if (url.href !== clientId) throw refuse(`must be in canonical form (${url.href})`);
  return url;
}

/**
 * The client a fetched document describes, or `ClientMetadataError`:
 * `invalid_json` (not a JSON object), `client_id_mismatch`,
 * `unsupported_auth_method`, `invalid_document` (anything else, with the
 * registration validator's reason). `fetchedAt` (epoch seconds) becomes the
 * record's `issuedAt`.
 */
export function clientRecordOfDocument(clientId: string, text: string, fetchedAt: number): ClientRecord {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ClientMetadataError("invalid_json", "the metadata document is not valid JSON");
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new ClientMetadataError("invalid_json", "the metadata document must be a JSON object");
  }
  const fields = document as Record<string, unknown>;
  if (fields.client_id !== clientId) {
    throw new ClientMetadataError(
      "client_id_mismatch",
      "the metadata document's client_id must be exactly the URL it is served at",
    );
  }
  const invalid = (rule: string) => new ClientMetadataError("invalid_document", `the metadata document ${rule}`);
  for (const secret of ["client_secret", "client_secret_expires_at"]) {
    if (fields[secret] !== undefined && fields[secret] !== null) {
      throw invalid(`must not contain ${secret}: a metadata document cannot share a secret`);
    }
  }
  const method = fields.token_endpoint_auth_method ?? "none";
  if (typeof method === "string" && SHARED_SECRET_METHODS.has(method)) {
    throw invalid(`must not use token_endpoint_auth_method ${method}: a metadata document cannot share a secret`);
  }
  if (method !== "none") {
    throw new ClientMetadataError(
      "unsupported_auth_method",
      `token_endpoint_auth_method ${typeof method === "string" ? method.slice(0, 64) : "(not a string)"} is not supported here: only public clients (none) may use a metadata document with this server`,
    );
  }
  if (typeof fields.client_name !== "string" || fields.client_name.trim() === "") {
    throw invalid("must have a client_name");
  }

  try {
    // Scopes a document lists that we do not support are not an error: the
    // document is written for every server. Requests are checked per server.
    const metadata = parseClientMetadata({ ...fields, token_endpoint_auth_method: "none" }, { scopesSupported: [] });
    return clientRecordOf(metadata, { clientId, issuedAt: fetchedAt });
  } catch (err) {
    if (err instanceof RegistrationError) throw invalid(`is invalid: ${err.description ?? err.code}`);
    throw err;
  }
}
