/**
 * PKCE (RFC 7636), S256 only. OAuth 2.1 and the MCP authorization spec make
 * PKCE mandatory, and `plain` protects nothing once the authorization request
 * is seen, so it is refused wherever it appears.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** The only challenge method we accept (advertised as `code_challenge_methods_supported`). */
export const PKCE_METHOD = "S256";

/** RFC 7636 §4.1: 43–128 characters of the unreserved set. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge is the base64url (unpadded) SHA-256 of the verifier: 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

/** Whether `verifier` has the shape RFC 7636 §4.1 requires. */
export const isCodeVerifier = (verifier: unknown): verifier is string =>
  typeof verifier === "string" && VERIFIER.test(verifier);

/** Whether `challenge` can be an S256 code challenge. */
export const isS256Challenge = (challenge: unknown): challenge is string =>
  typeof challenge === "string" && S256_CHALLENGE.test(challenge);

/**
 * Why an authorization request's PKCE parameters are unacceptable, or
 * `undefined` when they are fine. A missing method means `plain` (RFC 7636
 * §4.3), so it is refused too. The authorization endpoint turns the reason
 * into its `invalid_request` error.
 */
export function codeChallengeProblem(challenge: unknown, method: unknown): string | undefined {
  if (challenge === undefined || challenge === "") return "code_challenge is required (PKCE)";
  if (method !== PKCE_METHOD) return "code_challenge_method must be S256";
  if (!isS256Challenge(challenge)) return "code_challenge is not a valid S256 challenge";
  return undefined;
}

/** The S256 challenge for a verifier: BASE64URL(SHA256(ASCII(verifier))). */
export function computeCodeChallenge(verifier: string): string {
  if (!isCodeVerifier(verifier)) {
    throw new RangeError("A code verifier is 43-128 characters of [A-Za-z0-9-._~]");
  }
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

/** A new code verifier: 32 random bytes, base64url (43 characters), as RFC 7636 §4.1 recommends. */
export const generateCodeVerifier = (): string => randomBytes(32).toString("base64url");

/**
 * Whether `verifier` answers `challenge`. Only S256: with any other method
 * the answer is `false`, even when the verifier equals the challenge. The
 * comparison takes the same time wherever the values differ.
 */
export function verifyCodeVerifier(params: { verifier: unknown; challenge: string; method: string }): boolean {
  if (params.method !== PKCE_METHOD) return false;
  if (!isCodeVerifier(params.verifier) || !isS256Challenge(params.challenge)) return false;
  const computed = Buffer.from(computeCodeChallenge(params.verifier), "ascii");
  const expected = Buffer.from(params.challenge, "ascii");
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
