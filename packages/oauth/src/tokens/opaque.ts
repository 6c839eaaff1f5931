/**
 * Opaque tokens: authorization codes, refresh tokens, state values. They are
 * random (at least 256 bits), carry no meaning, and are stored only as their
 * SHA-256 hash, so a leaked store holds nothing that can be replayed.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Bytes of randomness in an opaque token: 256 bits. */
export const OPAQUE_TOKEN_BYTES = 32;

/**
 * A new random token, base64url without padding (43 characters for 32 bytes).
 * `bytes` may raise the entropy, never lower it below 256 bits.
 */
export function generateOpaqueToken(bytes: number = OPAQUE_TOKEN_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < OPAQUE_TOKEN_BYTES) {
    throw new RangeError(`An opaque token needs at least ${OPAQUE_TOKEN_BYTES} random bytes`);
  }
  return randomBytes(bytes).toString("base64url");
}

/**
 * The storage key for a token: its SHA-256, base64url. A plain hash (no salt,
 * no slow KDF) is right here: the input is 256 random bits, so there is no
 * dictionary to try, and the lookup must be deterministic.
 */
export function hashOpaqueToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

/**
 * Compares two secrets in time independent of where they differ, and of their
 * lengths: both sides are hashed to 32 bytes first.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a, "utf8").digest();
  const hb = createHash("sha256").update(b, "utf8").digest();
  // The length check keeps two different strings with equal hashes (impossible in practice) out of the answer.
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
