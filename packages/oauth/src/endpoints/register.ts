/**
 * Dynamic client registration (RFC 7591): `POST /oauth/register` with a JSON
 * body of client metadata. Public clients (`none`) get a `client_id`;
 * confidential clients also get a `client_secret`, shown in this response
 * only and stored as a hash. A registration lives for
 * `ttl.clientRegistration` seconds; a confidential client's
 * `client_secret_expires_at` says when (the secret dies with the record, so
 * the response tells the truth rather than 0).
 */
import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { clientRecordOf, parseClientMetadata, registrationResponseOf } from "../clients/registration.js";
import { generateClientSecret } from "../clients/secret.js";
import type { AuthorizationServerContext } from "../context.js";
import { oauthErrorResponse, RegistrationError } from "../errors.js";
import { allowAnyOrigin, crossOriginEndpoint } from "./cors.js";

/** The largest registration request body we read (bytes): ample for 20 redirect URIs and the descriptive fields. */
export const REGISTRATION_BODY_LIMIT = 16 * 1024;

/** Mounts `POST /oauth/register` (at `ctx.paths.register`) with a CORS preflight and 405 for other methods. */
export async function registrationRoute(app: FastifyInstance, ctx: AuthorizationServerContext): Promise<void> {
  const url = ctx.paths.register;
  app.post(url, {
    bodyLimit: REGISTRATION_BODY_LIMIT,
    // Before the body is parsed: a form or text body is refused as such, not as bad JSON.
    onRequest: async (req, reply) => {
      if (!isJson(req)) {
        return sendRegistrationError(
          reply,
          new RegistrationError(
            "invalid_client_metadata",
            "The request body must be JSON (Content-Type: application/json)",
          ),
          415,
        );
      }
    },
    errorHandler: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      if (err instanceof RegistrationError) return sendRegistrationError(reply, err);
      if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        return sendRegistrationError(
          reply,
          new RegistrationError(
            "invalid_client_metadata",
            `The request body is larger than ${REGISTRATION_BODY_LIMIT} bytes`,
          ),
          413,
        );
      }
      // Fastify's body parsing failures (malformed or empty JSON, forbidden __proto__ keys) are 4xx with FST_ERR_CTP_* codes.
      if (err.code?.startsWith("FST_ERR_CTP_") || (err.statusCode !== undefined && err.statusCode < 500)) {
        return sendRegistrationError(
          reply,
          new RegistrationError("invalid_client_metadata", "The request body is not valid JSON"),
        );
      }
      ctx.logger.error({ err }, "client registration failed");
      return sendRegistrationError(reply, err);
    },
    handler: async (req, reply) => {
      const metadata = parseClientMetadata(req.body, { scopesSupported: ctx.scopesSupported });
      const issuedAt = Math.floor(Date.now() / 1000);
      const ttl = ctx.config.ttl.clientRegistration;
      const secret = metadata.token_endpoint_auth_method === "none" ? undefined : generateClientSecret();
      const record = clientRecordOf(metadata, {
        clientId: randomUUID(),
        issuedAt,
        ...(secret === undefined ? {} : { clientSecretHash: secret.hash, clientSecretExpiresAt: issuedAt + ttl }),
      });
      await ctx.store.saveClient(record, ttl);
      ctx.logger.info(
        {
          clientId: record.clientId,
          clientName: record.clientName,
          authMethod: record.tokenEndpointAuthMethod,
          applicationType: record.applicationType,
        },
        "registered OAuth client",
      );
      allowAnyOrigin(reply)
        .header("cache-control", "no-store")
        .header("pragma", "no-cache")
        .code(201)
        .type("application/json; charset=utf-8")
        .send(JSON.stringify(registrationResponseOf(record, secret?.secret)));
    },
  });
  crossOriginEndpoint(app, url, ["POST"]);
}

/** `Content-Type: application/json` (parameters such as charset allowed). */
function isJson(req: FastifyRequest): boolean {
  const type = req.headers["content-type"];
  if (typeof type !== "string") return false;
  return type.split(";", 1)[0]?.trim().toLowerCase() === "application/json";
}

/** The RFC 7591 error body (wire form from `oauthErrorResponse`), with CORS; `status` only where HTTP has a truer one (413, 415). */
function sendRegistrationError(reply: FastifyReply, err: unknown, status?: number): FastifyReply {
  const response = oauthErrorResponse(err);
  return allowAnyOrigin(reply)
    .code(status ?? response.status)
    .headers(response.headers)
    .type("application/json; charset=utf-8")
    .send(JSON.stringify(response.body));
}
