/**
 * Validation of an authorization request (`GET /oauth/authorize`), in the
 * order that decides where an error may go (RFC 6749 §4.1.2.1): first the
 * client and its redirect URI, whose errors are shown to the user and never
 * redirected (the URI is not trusted yet); then everything else, whose errors
 * go back to that redirect URI.
 */
import { findClient } from "../clients/lookup.js";
import { isRegisteredRedirectUri } from "../clients/redirect-uris.js";
import type { AuthorizationServerContext } from "../context.js";
import { AuthorizationEndpointError, type AuthorizeErrorCode, ClientMetadataError } from "../errors.js";
import type { ClientRecord } from "../store/records.js";
import { codeChallengeProblem } from "../tokens/pkce.js";
import type { ParsedParams } from "./request-params.js";

/** A request that passed every check. */
export interface AuthorizationRequest {
  client: ClientRecord;
  /** The redirect URI to answer at (as requested, or the client's only one when omitted). */
  redirectUri: string;
  /** The client's `state`, returned unchanged. */
  state: string | undefined;
  scopes: string[];
  /** PKCE, S256. */
  codeChallenge: string;
  /** The resource (RFC 8707) the tokens will be for. */
  resource: string;
}

/** What validation decided. */
export type AuthorizationRequestOutcome =
  | { kind: "valid"; request: AuthorizationRequest }
  /** The client or redirect URI is not established: show the error, never redirect. */
  | { kind: "show"; error: AuthorizationEndpointError }
  /** Redirect the error to the (trusted) redirect URI. */
  | { kind: "redirect"; error: AuthorizationEndpointError; redirectUri: string; state: string | undefined };

/** Validates the query of an authorization request. */
export async function validateAuthorizationRequest(
  ctx: AuthorizationServerContext,
  parsed: ParsedParams,
): Promise<AuthorizationRequestOutcome> {
  const show = (description: string): AuthorizationRequestOutcome => ({
    kind: "show",
    error: new AuthorizationEndpointError("invalid_request", description),
  });
  // Client and redirect URI come from the raw query, so that a repeated
  // parameter elsewhere can still be reported to a trusted redirect URI.
  const { raw } = parsed;
  const clientIds = present(raw.getAll("client_id"));
  if (clientIds.length > 1) return show("client_id must not be repeated");
  const [clientId] = clientIds;
  if (clientId === undefined) return show("client_id is required");
  // A metadata document URL as client_id: the client is what the document
  // says, and a document that cannot be used is shown like an unknown client.
  let client: ClientRecord | undefined;
  try {
    client = await findClient(ctx, clientId);
  } catch (err) {
    if (err instanceof ClientMetadataError) return show(`This client cannot be used: ${err.description ?? ""}`);
    throw err;
  }
  if (client === undefined) return show("Unknown client_id: this client is not registered here");
  const requestedRedirects = present(raw.getAll("redirect_uri"));
  if (requestedRedirects.length > 1) return show("redirect_uri must not be repeated");
  const redirectUri = trustedRedirectUri(client, requestedRedirects[0]);
  if (typeof redirectUri !== "string") return show(redirectUri.problem);

  // From here on errors go back to the client. A repeated state is not one state to return.
  const states = present(raw.getAll("state"));
  const state = states.length === 1 ? states[0] : undefined;
  const redirect = (code: AuthorizeErrorCode, description: string): AuthorizationRequestOutcome => ({
    kind: "redirect",
    error: new AuthorizationEndpointError(code, description),
    redirectUri,
    state,
  });
  if (!parsed.ok) return redirect("invalid_request", parsed.problem);
  const { params } = parsed;

  const responseType = params.get("response_type");
  if (responseType === undefined) return redirect("invalid_request", "response_type is required");
  if (responseType !== "code") return redirect("unsupported_response_type", "Only response_type=code is supported");
  if (!client.grantTypes.includes("authorization_code") || !client.responseTypes.includes("code")) {
    return redirect("unauthorized_client", "This client is not registered for the authorization code grant");
  }

  const codeChallenge = params.get("code_challenge");
  const pkceProblem = codeChallengeProblem(codeChallenge, params.get("code_challenge_method"));
  if (pkceProblem !== undefined || codeChallenge === undefined) {
    return redirect("invalid_request", pkceProblem ?? "code_challenge is required (PKCE)");
  }

  const scopes = requestedScopes(ctx, client, params.get("scope"));
  if (!Array.isArray(scopes)) return redirect("invalid_scope", scopes.problem);

  const resource = params.get("resource") ?? ctx.resource;
  if (resource !== ctx.resource) {
    return redirect("invalid_target", `This server issues tokens only for the resource ${ctx.resource}`);
  }

  return { kind: "valid", request: { client, redirectUri, state, scopes, codeChallenge, resource } };
}

/** Values that are there: an empty value counts as absent (RFC 6749 §3.1). */
const present = (values: string[]): string[] => values.filter((v) => v !== "");

/** The redirect URI to trust: the requested one if registered, or the client's only one when none was sent. */
function trustedRedirectUri(client: ClientRecord, requested: string | undefined): string | { problem: string } {
  if (requested === undefined) {
    const [only, ...others] = client.redirectUris;
    if (only !== undefined && others.length === 0) return only;
    return { problem: "redirect_uri is required: this client registered more than one" };
  }
  if (!isRegisteredRedirectUri(client, requested)) {
    return { problem: "redirect_uri is not one this client registered" };
  }
  return requested;
}

/**
 * The scopes asked for: each must be supported here. Omitted: the client's
 * registered scopes that are supported, or none. A client's registered
 * `scope` is only that default, not a ceiling: MCP clients register with the
 * scopes they first need and later step up to more with the same client id
 * (the spec's step-up flow); the user approves each new scope on the consent page.
 */
export function requestedScopes(
  ctx: AuthorizationServerContext,
  client: ClientRecord,
  scope: string | undefined,
): string[] | { problem: string } {
  const supported = new Set(ctx.scopesSupported);
  if (scope === undefined) return (client.scopes ?? []).filter((s) => supported.has(s));
  const requested = [...new Set(scope.split(" ").filter((s) => s !== ""))];
  const unsupported = requested.filter((s) => !supported.has(s));
  if (unsupported.length > 0) return { problem: `Unsupported scope: ${printable(unsupported.join(" "))}` };
  return requested;
}

/** Client input echoed in an error description: printable ASCII, bounded. */
const printable = (text: string): string => text.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
