/**
 * What can go wrong inside the store, as values with a code. None of these
 * messages ever contains a token, code, secret or key: only which kind of
 * record was involved.
 */

/** Why a `TokenStore` operation failed. */
export type TokenStoreErrorCode =
  /** An upstream token record failed authentication: tampered with, or encrypted under another key. */
  | "decryption_failed"
  /** A stored record is not the JSON we wrote (another application's key, or a format from another version). */
  | "corrupt_record"
  /** A random single-use key (code, state, refresh token) collided with a live one: never reuse them. */
  | "duplicate_key"
  /** `withLock` gave up waiting for a lock another caller holds. */
  | "lock_timeout"
  /** The backend could not be reached or did not answer (Redis down, say): worth retrying shortly. */
  | "unavailable"
  /**
   * The backend answered a command with an error (Redis: a key of the wrong
   * type, a failing script, a refused password): a fault of the server or its
   * data that retrying will not mend.
   */
  | "command_failed";

/** An error of the token store. */
export class TokenStoreError extends Error {
  readonly code: TokenStoreErrorCode;

  constructor(code: TokenStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TokenStoreError";
    this.code = code;
  }
}
