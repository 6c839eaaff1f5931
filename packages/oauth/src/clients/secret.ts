/**
 * Client secrets of confidential clients (RFC 7591 §3.2.1, RFC 6749 §2.3.1).
 * A secret is a 256-bit random opaque token, handed to the client once, in
 * the registration response; the store keeps only its SHA-256 hash.
 */
import type { ClientRecord } from "../store/records.js";
import { constantTimeEqual, generateOpaqueToken, hashOpaqueToken } from "../tokens/opaque.js";

/** A new client secret and the hash to store in `ClientRecord.clientSecretHash`. */
export function generateClientSecret(): { secret: string; hash: string } {
  const secret = generateOpaqueToken();
  return { secret, hash: hashOpaqueToken(secret) };
}

/**
 * Whether `presented` is the client's secret, compared in constant time, and
 * the secret has not expired (`clientSecretExpiresAt`, 0 or absent = never).
 * A client without a stored secret (a public client) never matches.
 */
export function verifyClientSecret(
  client: ClientRecord,
  presented: string,
  now: number = Math.floor(Date.now() / 1000),
): boolean {
  if (client.clientSecretHash === undefined) return false;
  const expiresAt = client.clientSecretExpiresAt ?? 0;
  if (expiresAt !== 0 && expiresAt <= now) return false;
  return constantTimeEqual(hashOpaqueToken(presented), client.clientSecretHash);
}
