/**
 * Discovery documents: the authorization server metadata (RFC 8414) and the
 * protected resource metadata (RFC 9728). Both are public, cacheable and
 * readable cross-origin (browser-based MCP clients fetch them).
 */
import type { FastifyInstance } from "fastify";
import { REGISTRABLE_GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from "../clients/registration.js";
import type { AuthorizationServerContext } from "../context.js";
import type { JsonValue } from "../store/records.js";
import { allowAnyOrigin, crossOriginEndpoint } from "./cors.js";

const AUTHORIZATION_SERVER_WELL_KNOWN = "/.well-known/oauth-authorization-server";
// We are not an OpenID provider (no id_token, no userinfo), but some MCP
// clients only try the OpenID Connect discovery path, so the same OAuth
// document is served there too. It claims nothing OpenID-specific.
const OPENID_CONFIGURATION_WELL_KNOWN = "/.well-known/openid-configuration";
const PROTECTED_RESOURCE_WELL_KNOWN = "/.well-known/oauth-protected-resource";

/** Metadata changes only with a restart or new configuration: an hour of caching is harmless. */
const METADATA_CACHE_CONTROL = "public, max-age=3600";

/** The authorization server metadata document (RFC 8414 §2). */
export function authorizationServerMetadata(ctx: AuthorizationServerContext): { [key: string]: JsonValue } {
  const authMethods = [...TOKEN_ENDPOINT_AUTH_METHODS];
  const metadata: { [key: string]: JsonValue } = {
    issuer: ctx.urls.issuer,
    authorization_endpoint: ctx.urls.authorize,
    token_endpoint: ctx.urls.token,
    registration_endpoint: ctx.urls.register,
    revocation_endpoint: ctx.urls.revoke,
    jwks_uri: ctx.urls.jwks,
    scopes_supported: [...ctx.scopesSupported],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: [...REGISTRABLE_GRANT_TYPES],
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    // PKCE is required, and `plain` is refused (OAuth 2.1 §4.1.1).
    code_challenge_methods_supported: ["S256"],
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    // An https URL as client_id is resolved from its metadata document (draft-ietf-oauth-client-id-metadata-document).
    client_id_metadata_document_supported: true,
  };
  if (ctx.serviceDocumentation !== undefined) metadata.service_documentation = ctx.serviceDocumentation;
  return metadata;
}

/** The protected resource metadata document for the MCP endpoint (RFC 9728 §2). */
export function protectedResourceMetadata(ctx: AuthorizationServerContext): { [key: string]: JsonValue } {
  const metadata: { [key: string]: JsonValue } = {
    resource: ctx.resource,
    authorization_servers: [ctx.urls.issuer],
    scopes_supported: [...ctx.scopesSupported],
    // Tokens are accepted only in the Authorization header (never query or body).
    bearer_methods_supported: ["header"],
  };
  if (ctx.serviceDocumentation !== undefined) metadata.resource_documentation = ctx.serviceDocumentation;
  return metadata;
}

/** `pathname` without its trailing slashes (`/` becomes the empty string). */
const trimSlashes = (pathname: string): string => pathname.replace(/\/+$/, "");

/**
 * The paths each document is served at. Our routes sit at the app's root,
 * which is the issuer when the issuer has no path. When it has one
 * (`https://x/tenant`), the app may sit behind a proxy that strips the
 * prefix or one that does not, so the document is served at every form a
 * client may try: plain, path-inserted (RFC 8414 §3.1, RFC 9728 §3.1) and,
 * for OpenID, path-appended.
 */
export function metadataPaths(ctx: AuthorizationServerContext): {
  authorizationServer: string[];
  protectedResource: string[];
} {
  const issuerPath = trimSlashes(new URL(ctx.urls.issuer).pathname);
  const resourcePath = trimSlashes(new URL(ctx.resource).pathname);
  // The MCP endpoint's path on this app: the resource's path below the issuer.
  const localMcpPath =
    issuerPath !== "" && resourcePath.startsWith(`${issuerPath}/`)
      ? resourcePath.slice(issuerPath.length)
      : resourcePath;
  const authorizationServer = [AUTHORIZATION_SERVER_WELL_KNOWN, OPENID_CONFIGURATION_WELL_KNOWN];
  if (issuerPath !== "") {
    authorizationServer.push(
      `${AUTHORIZATION_SERVER_WELL_KNOWN}${issuerPath}`,
      `${OPENID_CONFIGURATION_WELL_KNOWN}${issuerPath}`,
      `${issuerPath}${OPENID_CONFIGURATION_WELL_KNOWN}`,
    );
  }
  const protectedResource = [
    PROTECTED_RESOURCE_WELL_KNOWN,
    `${PROTECTED_RESOURCE_WELL_KNOWN}${localMcpPath}`,
    `${PROTECTED_RESOURCE_WELL_KNOWN}${resourcePath}`,
  ];
  return { authorizationServer: [...new Set(authorizationServer)], protectedResource: [...new Set(protectedResource)] };
}

/**
 * Mounts `GET /.well-known/oauth-authorization-server` and its OpenID alias,
 * `GET /.well-known/oauth-protected-resource` and its path-suffixed form for
 * the MCP endpoint (plus the path-inserted forms when the issuer has a path),
 * each with a CORS preflight and 405 for other methods.
 */
export async function metadataRoutes(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
  const paths = metadataPaths(ctx);
  const serve = (urls: readonly string[], document: { [key: string]: JsonValue }): void => {
    const body = JSON.stringify(document);
    for (const url of urls) {
      app.get(url, async (_req, reply) => {
        allowAnyOrigin(reply)
          .header("cache-control", METADATA_CACHE_CONTROL)
          .type("application/json; charset=utf-8")
          .send(body);
      });
      crossOriginEndpoint(app, url, ["GET"]);
    }
  };
  serve(paths.authorizationServer, authorizationServerMetadata(ctx));
  serve(paths.protectedResource, protectedResourceMetadata(ctx));
}
