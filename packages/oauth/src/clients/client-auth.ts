/**
 * Client authentication at the token and revocation endpoints (RFC 6749
 * §2.3, RFC 7591 `token_endpoint_auth_method`). A client authenticates
 * exactly as it registered:
 *
 * - `none` (public clients): `client_id` in the body, no secret anywhere;
 * - `client_secret_basic`: `Authorization: Basic` with the form-urlencoded
 *   id and secret (RFC 6749 §2.3.1);
 * - `client_secret_post`: `client_id` and `client_secret` in the body.
 *
 * Anything else (an unknown client, a wrong or expired secret, another method
 * than the registered one) is `invalid_client`, answered 401, with a `Basic`
 * challenge when Basic was tried; so is another scheme in the `Authorization`
 * header. Using two methods at once is `invalid_request` (RFC 6749 §2.3).
 *
 * A client whose `client_id` is a metadata document URL is found through the
 * same lookup (its document is fetched or read from the cache): it is a
 * public client, and a document that cannot be used is `invalid_client` with
 * the reason.
 */
import { ClientMetadataError, TokenEndpointError } from "../errors.js";
import type { ClientRecord, TokenEndpointAuthMethod } from "../store/records.js";
import type { ClientLookup } from "./lookup.js";
import { verifyClientSecret } from "./secret.js";

/** What a request offers to authenticate its client. */
export interface ClientCredentialsInput {
  /** The `Authorization` header, if any. */
  authorization: string | undefined;
  /** The form parameters (`client_id`, `client_secret`). */
  params: ReadonlyMap<string, string>;
}

/** Longest client id or secret we look at; longer ones are not ours. */
const MAX_CREDENTIAL_LENGTH = 512;

/** The authenticated client. Throws `TokenEndpointError` (`invalid_client` or `invalid_request`). */
export async function authenticateClient(
  findClient: ClientLookup,
  input: ClientCredentialsInput,
): Promise<ClientRecord> {
  const presented = presentedCredentials(input);
  const basicAuthAttempted = presented.method === "client_secret_basic";
  const refuse = (description: string): TokenEndpointError =>
    new TokenEndpointError("invalid_client", description, { basicAuthAttempted });

  if (presented.clientId.length > MAX_CREDENTIAL_LENGTH) throw refuse("Client authentication failed");
  let client: ClientRecord | undefined;
  try {
    client = await findClient(presented.clientId);
  } catch (err) {
    if (err instanceof ClientMetadataError) throw refuse(`Client authentication failed: ${err.description ?? ""}`);
    throw err;
  }
  if (client === undefined) throw refuse("Client authentication failed: unknown client");
  if (presented.method !== client.tokenEndpointAuthMethod) {
    throw refuse(
      `Client authentication failed: this client is registered for ${client.tokenEndpointAuthMethod}, not ${presented.method}`,
    );
  }
  if (presented.method !== "none") {
    const secret = presented.secret ?? "";
    if (secret.length > MAX_CREDENTIAL_LENGTH || !verifyClientSecret(client, secret)) {
      throw refuse("Client authentication failed: wrong or expired client secret");
    }
  }
  return client;
}

interface PresentedCredentials {
  method: TokenEndpointAuthMethod;
  clientId: string;
  secret?: string;
}

/** Which method the request uses, and with what. */
function presentedCredentials(input: ClientCredentialsInput): PresentedCredentials {
  const bodyId = input.params.get("client_id");
  const bodySecret = input.params.get("client_secret");
  const header = input.authorization?.trim();

  if (header !== undefined && header !== "") {
    const basic = parseBasic(header);
    if (basic === undefined) {
      const scheme = header.split(" ")[0]?.toLowerCase();
      if (scheme === "basic") {
        throw new TokenEndpointError("invalid_client", "Malformed Basic credentials", { basicAuthAttempted: true });
      }
      throw new TokenEndpointError(
        "invalid_client",
        "Client authentication failed: only HTTP Basic is accepted in the Authorization header",
      );
    }
    if (bodySecret !== undefined) {
      throw new TokenEndpointError("invalid_request", "Use one client authentication method, not two", {
        basicAuthAttempted: true,
      });
    }
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new TokenEndpointError("invalid_request", "client_id does not match the Basic credentials", {
        basicAuthAttempted: true,
      });
    }
    return { method: "client_secret_basic", clientId: basic.clientId, secret: basic.secret };
  }
  if (bodyId === undefined) {
    throw new TokenEndpointError("invalid_client", "Client authentication failed: client_id is required");
  }
  if (bodySecret !== undefined) return { method: "client_secret_post", clientId: bodyId, secret: bodySecret };
  return { method: "none", clientId: bodyId };
}

/** `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1, RFC 7617), or `undefined` when malformed. */
function parseBasic(header: string): { clientId: string; secret: string } | undefined {
  const match = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    return clientId === "" ? undefined : { clientId, secret };
  } catch {
    return undefined;
  }
}

/** `application/x-www-form-urlencoded` decoding of one value: `+` is a space. Throws on bad percent-escapes. */
const formDecode = (value: string): string => decodeURIComponent(value.replace(/\+/g, " "));
