/**
 * Access tokens: JWTs per RFC 9068, signed with the key set's signing key.
 *
 * Verification checks every property explicitly and in a fixed order, and
 * each refusal is an `invalid_token` error naming the check that failed (never
 * the token): shape, algorithm (asymmetric allow-list, so `none` and HS* with
 * our public key as the secret are refused before any cryptography), `typ`,
 * `kid`, signature, issuer, audience, expiry and not-before (with a small
 * clock tolerance), required claims, and finally revocation.
 */
import { randomUUID } from "node:crypto";
import {
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  jwtVerify,
  type ProtectedHeaderParameters,
  SignJWT,
} from "jose";
import { invalidToken, type ResourceServerError, type TokenCheck } from "../errors.js";
import type { KeySet } from "./keys.js";

/** The JOSE `typ` of an access token (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYPE = "at+jwt";

/** The access token's claim naming its grant. */
export const GRANT_ID_CLAIM = "gid";

/** Default leeway for `exp` / `nbf`, in seconds: covers clock drift between instances, nothing more. */
export const DEFAULT_CLOCK_TOLERANCE = 30;

/** Longer than any token we issue; anything bigger is refused unparsed. */
const MAX_TOKEN_LENGTH = 8192;

/** Claims that `issueAccessToken` sets itself; `extraClaims` may not override them. */
const REGISTERED_CLAIMS = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope"]);

/** RFC 6749 §3.3: a scope token is one or more of %x21 / %x23-5B / %x5D-7E. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The claims of a verified access token (RFC 9068 §2.2), plus any extra claims it was issued with. */
export interface AccessTokenClaims {
  /** The issuer: our authorization server's URL. */
  iss: string;
  /** The end user. */
  sub: string;
  /** The resource the token is for (RFC 8707). */
  aud: string | string[];
  /** The client the token was issued to. */
  client_id: string;
  /** Granted scopes, space-separated (possibly empty). */
  scope: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issue time, seconds since the epoch. */
  iat: number;
  /** Unique token id: what revocation refers to. */
  jti: string;
  nbf?: number;
  [claim: string]: unknown;
}

/** What an access token is issued for. */
export interface IssueAccessTokenParams {
  /** Our issuer URL (`OAuthConfig.issuer`). */
  issuer: string;
  /** The end user. */
  subject: string;
  /** The resource (audience): the MCP endpoint's canonical URL. */
  audience: string;
  clientId: string;
  scopes: readonly string[];
  /** Lifetime in seconds (`OAuthConfig.ttl.accessToken`). */
  ttl: number;
  /** Issue time, seconds since the epoch; defaults to now. */
  now?: number;
  /** More claims to include; they may not replace a registered claim. */
  extraClaims?: Readonly<Record<string, unknown>>;
}

/** A freshly signed access token and what it says. */
export interface IssuedAccessToken {
  /** The compact JWT (a credential: never log it). */
  token: string;
  claims: AccessTokenClaims;
  /** Seconds until expiry: the token response's `expires_in`. */
  expiresIn: number;
}

/** Signs an access token with the key set's signing key. */
export async function issueAccessToken(keys: KeySet, params: IssueAccessTokenParams): Promise<IssuedAccessToken> {
  if (!Number.isInteger(params.ttl) || params.ttl <= 0) throw new RangeError("ttl must be a positive integer");
  for (const scope of params.scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new TypeError(`Invalid scope token: ${JSON.stringify(scope)}`);
  }
  for (const name of Object.keys(params.extraClaims ?? {})) {
    if (REGISTERED_CLAIMS.has(name)) throw new TypeError(`extraClaims may not set the registered claim "${name}"`);
  }
  const iat = params.now ?? Math.floor(Date.now() / 1000);
  const claims: AccessTokenClaims = {
    ...params.extraClaims,
    iss: params.issuer,
    sub: params.subject,
    aud: params.audience,
    client_id: params.clientId,
    scope: [...new Set(params.scopes)].join(" "),
    exp: iat + params.ttl,
    iat,
    jti: randomUUID(),
  };
  const key = keys.signing;
  const token = await new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid })
    .sign(key.privateKey);
  return { token, claims, expiresIn: params.ttl };
}

/** What a verified token must match. */
export interface VerifyAccessTokenOptions {
  /** The issuer the token must name (`iss`). */
  issuer: string;
  /** The resource this server is: the token's `aud` must include it. */
  audience: string;
  /** Leeway for `exp` / `nbf`, in seconds (default 30). */
  clockTolerance?: number;
  /** The current time, seconds since the epoch; defaults to now. */
  now?: number;
  /** Whether the token with this `jti` has been revoked (asked only once everything else holds). */
  isRevoked?: (jti: string) => boolean | Promise<boolean>;
}

/**
 * Verifies an access token and returns its claims. Throws a
 * `ResourceServerError` (`invalid_token`, its `check` naming the failed check)
 * for any token that is not one of ours, valid, for this resource, and live.
 */
export async function verifyAccessToken(
  token: string,
  keys: KeySet,
  options: VerifyAccessTokenOptions,
): Promise<AccessTokenClaims> {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) {
    throw failed("malformed");
  }
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw failed("malformed");
  }
  // The allow-list comes before any key is touched: `none` has no signature
  // to check, and HS256 would use our public key bytes as its shared secret.
  const accepted: readonly string[] = keys.algorithms;
  if (typeof header.alg !== "string" || !accepted.includes(header.alg)) throw failed("alg");
  if (typeof header.typ !== "string" || normalizeTyp(header.typ) !== ACCESS_TOKEN_TYPE) throw failed("typ");
  const key = typeof header.kid === "string" ? keys.get(header.kid) : undefined;
  if (!key) throw failed("kid");
  if (key.alg !== header.alg) throw failed("alg");

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      typ: ACCESS_TOKEN_TYPE,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"],
      ...(options.now === undefined ? {} : { currentDate: new Date(options.now * 1000) }),
    }));
  } catch (err) {
    // jose's errors carry the payload: they stay here, only the check leaves.
    throw failed(checkOf(err));
  }

  const claims = asClaims(payload);
  if (!claims) throw failed("claims");
  if (options.isRevoked && (await options.isRevoked(claims.jti))) throw failed("revoked");
  return claims;
}

/** The scopes of a token, as a list. */
export const scopesOf = (claims: Pick<AccessTokenClaims, "scope">): string[] =>
  claims.scope.split(" ").filter((s) => s.length > 0);

const DESCRIPTIONS: Record<TokenCheck, string> = {
  malformed: "The access token is malformed",
  alg: "The access token's signing algorithm is not accepted",
  typ: "The token is not an access token (typ must be at+jwt)",
  kid: "The access token was signed by an unknown key",
  signature: "The access token's signature is invalid",
  iss: "The access token was issued by another issuer",
  aud: "The access token was issued for another resource",
  exp: "The access token has expired",
  nbf: "The access token is not valid yet",
  claims: "The access token lacks a required claim or has one of the wrong type",
  revoked: "The access token has been revoked",
};

const failed = (check: TokenCheck): ResourceServerError => invalidToken(check, DESCRIPTIONS[check]);

/** RFC 7515 §4.1.9: `typ` is a media type that may omit its `application/` prefix; compared case-insensitively. */
const normalizeTyp = (typ: string): string => typ.toLowerCase().replace(/^application\//, "");

function checkOf(err: unknown): TokenCheck {
  if (err instanceof errors.JWTExpired) return "exp";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === "missing") return "claims";
    switch (err.claim) {
      case "iss":
      case "aud":
      case "nbf":
      case "typ":
        return err.claim;
      default:
        return "claims";
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "signature";
  if (err instanceof errors.JOSEAlgNotAllowed) return "alg";
  return "malformed";
}

/** The payload as typed claims, or `undefined` when a claim has the wrong type. */
function asClaims(payload: JWTPayload): AccessTokenClaims | undefined {
  const { iss, sub, aud, exp, iat, jti } = payload;
  const clientId = payload.client_id;
  const scope = payload.scope;
  const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;
  if (!nonEmpty(iss) || !nonEmpty(sub) || !nonEmpty(jti) || !nonEmpty(clientId)) return undefined;
  if (typeof scope !== "string" || typeof exp !== "number" || typeof iat !== "number") return undefined;
  if (!(typeof aud === "string" || (Array.isArray(aud) && aud.every((a) => typeof a === "string")))) return undefined;
  return { ...payload, iss, sub, aud, client_id: clientId, scope, exp, iat, jti };
}
