/**
 * Dynamic client registration metadata (RFC 7591 §2): what a client may ask
 * to be registered with, validated with zod, and the record and response
 * built from it. Unknown fields are ignored (RFC 7591 §2: "the authorization
 * server MUST ignore any client metadata sent by the client that it does not
 * understand"); every field we keep is bounded in size.
 */
import { z } from "zod";
import { RegistrationError } from "../errors.js";
import type { ClientRecord, JsonValue, TokenEndpointAuthMethod } from "../store/records.js";
import { MAX_REDIRECT_URI_LENGTH, redirectUriProblem } from "./redirect-uris.js";

/** At most this many redirect URIs per client. */
export const MAX_REDIRECT_URIS = 20;

/** The client authentication methods the token endpoint really enforces. */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  "none",
  "client_secret_basic",
  "client_secret_post",
] as const satisfies readonly TokenEndpointAuthMethod[];

/** The grant types a client may register: the authorization code flow, optionally with refresh tokens. */
export const REGISTRABLE_GRANT_TYPES = ["authorization_code", "refresh_token"] as const;

/** The only response type (OAuth 2.1 has no implicit flow). */
export const REGISTRABLE_RESPONSE_TYPES = ["code"] as const;

const MAX_URI_LENGTH = MAX_REDIRECT_URI_LENGTH;
const MAX_TEXT_LENGTH = 256;
const MAX_SCOPE_LENGTH = 1024;
const MAX_CONTACTS = 10;

/** RFC 6749 §3.3 scope-token characters: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The metadata of a registered client, as RFC 7591 names it (defaults applied). */
export interface ClientRegistrationMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  response_types: string[];
  application_type: "web" | "native";
  /** Space-separated scopes the client may request; absent = any supported scope. */
  scope?: string;
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  contacts?: string[];
  tos_uri?: string;
  policy_uri?: string;
  software_id?: string;
  software_version?: string;
}

/** Optional metadata kept as registered and echoed back (`ClientRecord.metadata`). */
const DESCRIPTIVE_FIELDS = [
  "client_uri",
  "logo_uri",
  "contacts",
  "tos_uri",
  "policy_uri",
  "software_id",
  "software_version",
] as const;

const isHttpUri = (value: string): boolean => {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
};

const text = (max: number) => z.string({ error: "must be a string" }).max(max, `must be at most ${max} characters`);

/** A URI shown to users (home page, logo, terms): http(s) only, so never `javascript:` in a link. */
const webUri = text(MAX_URI_LENGTH).refine(isHttpUri, { error: "must be an absolute http(s) URI" });

/** Unique items, order kept: a client listing a grant type twice meant it once. */
const unique = <T>(items: T[]): T[] => [...new Set(items)];

const metadataSchema = z.object({
  redirect_uris: z
    .array(text(MAX_URI_LENGTH), { error: "is required: a non-empty array of absolute URIs" })
    .min(1, "must list at least one redirect URI")
    .max(MAX_REDIRECT_URIS, `must list at most ${MAX_REDIRECT_URIS} redirect URIs`)
    .transform(unique),
  token_endpoint_auth_method: z
    .enum(TOKEN_ENDPOINT_AUTH_METHODS, { error: `must be one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(", ")}` })
    // RFC 7591 §2: the default is client_secret_basic.
    .default("client_secret_basic"),
  grant_types: z
    .array(z.enum(REGISTRABLE_GRANT_TYPES), {
      error: `must be an array of ${REGISTRABLE_GRANT_TYPES.join(", ")}`,
    })
    .max(REGISTRABLE_GRANT_TYPES.length * 2, "lists too many grant types")
    .transform(unique)
    .refine((types) => types.includes("authorization_code"), { error: "must include authorization_code" })
    .default(["authorization_code"]),
  response_types: z
    .array(z.enum(REGISTRABLE_RESPONSE_TYPES), { error: 'must be ["code"]' })
    .min(1, 'must be ["code"]')
    .max(REGISTRABLE_RESPONSE_TYPES.length * 2, 'must be ["code"]')
    .transform(unique)
    .default(["code"]),
  application_type: z.enum(["web", "native"], { error: "must be web or native" }).default("web"),
  scope: text(MAX_SCOPE_LENGTH).optional(),
  client_name: text(MAX_TEXT_LENGTH).optional(),
  client_uri: webUri.optional(),
  logo_uri: webUri.optional(),
  contacts: z
    .array(text(MAX_TEXT_LENGTH), { error: "must be an array of strings" })
    .max(MAX_CONTACTS, `must list at most ${MAX_CONTACTS} contacts`)
    .optional(),
  tos_uri: webUri.optional(),
  policy_uri: webUri.optional(),
  software_id: text(MAX_TEXT_LENGTH).optional(),
  software_version: text(MAX_TEXT_LENGTH).optional(),
});

/** What registration checks the request against. */
export interface ClientMetadataPolicy {
  /** Scopes the server supports; when non-empty, a registered `scope` must be a subset. */
  scopesSupported: readonly string[];
}

/**
 * Validates a registration request body (already parsed JSON) and applies
 * the RFC 7591 defaults. Throws a `RegistrationError`: `invalid_redirect_uri`
 * for any problem with `redirect_uris` (missing, empty, too many, or a URI
 * `redirectUriProblem` refuses), `invalid_client_metadata` for everything
 * else. Members whose value is `null` count as absent (some clients send
 * them so).
 */
export function parseClientMetadata(body: unknown, policy: ClientMetadataPolicy): ClientRegistrationMetadata {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new RegistrationError("invalid_client_metadata", "The request body must be a JSON object");
  }
  const present = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
  const parsed = metadataSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined ? "" : String(issue.path[0] ?? "");
    const where = issue === undefined ? "" : issue.path.map(String).join(".");
    const description = `${where || "metadata"} ${issue?.message ?? "is invalid"}`;
    throw new RegistrationError(
      field === "redirect_uris" ? "invalid_redirect_uri" : "invalid_client_metadata",
      description,
    );
  }
  const metadata = parsed.data;
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri, metadata.application_type);
    if (problem !== undefined) throw new RegistrationError("invalid_redirect_uri", problem);
  }
  const result: ClientRegistrationMetadata = { ...metadata };
  delete result.scope;
  const scopes = scopeList(metadata.scope, policy);
  if (scopes !== undefined) result.scope = scopes.join(" ");
  return result;
}

/** The registered scopes, checked; `undefined` when none were given (an empty `scope` counts as none). */
function scopeList(scope: string | undefined, policy: ClientMetadataPolicy): string[] | undefined {
  if (scope === undefined) return undefined;
  const scopes = unique(scope.split(" ").filter((s) => s !== ""));
  if (scopes.length === 0) return undefined;
  const malformed = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (malformed !== undefined) {
    throw new RegistrationError("invalid_client_metadata", "scope contains characters RFC 6749 does not allow");
  }
  if (policy.scopesSupported.length > 0) {
    const unsupported = scopes.filter((s) => !policy.scopesSupported.includes(s));
    if (unsupported.length > 0) {
      throw new RegistrationError(
        "invalid_client_metadata",
        `scope ${unsupported.join(" ")} is not supported (supported: ${policy.scopesSupported.join(" ")})`,
      );
    }
  }
  return scopes;
}

/** What the endpoint decides besides the metadata: identifiers, secret hash and times. */
export interface ClientIssuance {
  clientId: string;
  /** Hash of the client secret, for confidential clients. */
  clientSecretHash?: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  /** When the secret expires (0 = never); only with a secret. */
  clientSecretExpiresAt?: number;
}

/** The record to store for validated metadata. */
export function clientRecordOf(metadata: ClientRegistrationMetadata, issuance: ClientIssuance): ClientRecord {
  const record: ClientRecord = {
    clientId: issuance.clientId,
    redirectUris: metadata.redirect_uris,
    grantTypes: metadata.grant_types,
    responseTypes: metadata.response_types,
    tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
    applicationType: metadata.application_type,
    issuedAt: issuance.issuedAt,
  };
  if (issuance.clientSecretHash !== undefined) {
    record.clientSecretHash = issuance.clientSecretHash;
    record.clientSecretExpiresAt = issuance.clientSecretExpiresAt ?? 0;
  }
  if (metadata.client_name !== undefined) record.clientName = metadata.client_name;
  if (metadata.scope !== undefined) record.scopes = metadata.scope.split(" ");
  const extra: { [key: string]: JsonValue } = {};
  for (const field of DESCRIPTIVE_FIELDS) {
    const value = metadata[field];
    if (value !== undefined) extra[field] = value;
  }
  if (Object.keys(extra).length > 0) record.metadata = extra;
  return record;
}

/**
 * The registration response (RFC 7591 §3.2.1): every registered metadata
 * value, `client_id`, `client_id_issued_at`, and for a confidential client
 * the secret (this once only) with `client_secret_expires_at`.
 */
export function registrationResponseOf(record: ClientRecord, clientSecret?: string): { [key: string]: JsonValue } {
  const response: { [key: string]: JsonValue } = { client_id: record.clientId, client_id_issued_at: record.issuedAt };
  if (clientSecret !== undefined) {
    response.client_secret = clientSecret;
    response.client_secret_expires_at = record.clientSecretExpiresAt ?? 0;
  }
  response.redirect_uris = record.redirectUris;
  response.token_endpoint_auth_method = record.tokenEndpointAuthMethod;
  response.grant_types = record.grantTypes;
  response.response_types = record.responseTypes;
  response.application_type = record.applicationType;
  if (record.clientName !== undefined) response.client_name = record.clientName;
  if (record.scopes !== undefined) response.scope = record.scopes.join(" ");
  return { ...response, ...record.metadata };
}
