/**
 * Dynamic client registration (RFC 7591): `POST /oauth/register` with a JSON
 * body of client metadata. Public clients (`none`) get a `client_id`;
 * confidential clients also get a `client_secret`, shown in this response
 * only and stored as a hash. A registration lives for
 * `ttl.clientRegistration` seconds; a confidential client's
 * `client_secret_expires_at` says when (the secret dies with the record, so
 * the response tells the truth rather than 0).
 */
import { createHash, randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  type ClientRegistrationMetadata,
  clientRecordOf,
  parseClientMetadata,
  registrationResponseOf,
} from "../clients/registration.js";
import { generateClientSecret } from "../clients/secret.js";
import type { AuthorizationServerContext } from "../context.js";
import { oauthErrorResponse, RateLimitedError, RegistrationError } from "../errors.js";
import type { ClientRecord } from "../store/records.js";
import { allowAnyOrigin, crossOriginEndpoint } from "./cors.js";
import { countRequest } from "./rate-limit.js";

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
      if (err instanceof RegistrationError || err instanceof RateLimitedError) return sendRegistrationError(reply, err);
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
      const ttl = ctx.config.ttl.clientRegistration;
      const isPublic = metadata.token_endpoint_auth_method === "none";
      // A public client registering again with identical metadata (a restarted desktop app, a retry)
      // gets the client it has: nothing secret is re-issued, and the store does not fill up.
      const fingerprint = isPublic ? fingerprintOf(metadata) : undefined;
      const existing = fingerprint === undefined ? undefined : await ctx.store.findClientByFingerprint(fingerprint);
      if (existing) return sendRegistration(reply, existing, undefined);

      await countRequest(ctx, ctx.rateLimits, "registrationsPerDay", req.ip);
      const issuedAt = Math.floor(Date.now() / 1000);
      const secret = isPublic ? undefined : generateClientSecret();
      const record = clientRecordOf(metadata, {
        clientId: randomUUID(),
        issuedAt,
        ...(secret === undefined ? {} : { clientSecretHash: secret.hash, clientSecretExpiresAt: issuedAt + ttl }),
      });
      await ctx.store.saveClient(record, ttl);
      if (fingerprint !== undefined) await ctx.store.rememberClientFingerprint(fingerprint, record.clientId, ttl);
      ctx.logger.info(
        {
          clientId: record.clientId,
          clientName: record.clientName,
          authMethod: record.tokenEndpointAuthMethod,
          applicationType: record.applicationType,
        },
        "registered OAuth client",
      );
      return sendRegistration(reply, record, secret?.secret);
    },
  });
  crossOriginEndpoint(app, url, ["POST"]);
}

function sendRegistration(reply: FastifyReply, record: ClientRecord, secret: string | undefined): FastifyReply {
  return allowAnyOrigin(reply)
    .header("cache-control", "no-store")
    .header("pragma", "no-cache")
    .code(201)
    .type("application/json; charset=utf-8")
    .send(JSON.stringify(registrationResponseOf(record, secret)));
}

/** A hash of the registered metadata, independent of member order. */
function fingerprintOf(metadata: ClientRegistrationMetadata): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : typeof value === "object" && value !== null
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, v]) => [k, canonical(v)]),
          )
        : value;
  return createHash("sha256")
    .update(JSON.stringify(canonical(metadata)))
    .digest("base64url");
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
