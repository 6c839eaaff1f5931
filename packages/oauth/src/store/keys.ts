/**
 * The key layout, in one place: `oauth:<sandbox>:<kind>:<id>[:<id>]`. The
 * sandbox id is restricted to `[A-Za-z0-9._-]` and every id part is
 * URI-encoded, so no `:` inside an id can make two different records share a
 * key, within a sandbox or across sandboxes. Secrets appear only as hashes.
 */

/** Every kind of record the store keeps. */
export type KeyKind =
  | "client"
  | "client-metadata"
  | "client-fingerprint"
  | "pending"
  | "consent"
  | "code"
  | "code-used"
  | "refresh"
  | "refresh-used"
  | "grant-revoked"
  | "jti-revoked"
  | "upstream"
  | "lock"
  | "counter"
  /** The development identity provider's codes, tokens and revocation markers (see dev-provider/dev-idp-store.ts). */
  | "dev-idp";

/** The backend key of a record of `kind` in `sandboxId`. */
export const keyFor = (sandboxId: string, kind: KeyKind, ...ids: string[]): string =>
  `oauth:${sandboxId}:${kind}:${ids.map(encodeURIComponent).join(":")}`;
