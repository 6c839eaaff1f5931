/**
 * The store's cryptography: SHA-256 for secrets kept only as hashes (codes,
 * refresh tokens, states), and AES-256-GCM for the upstream tokens we must be
 * able to read back. Everything here is node:crypto.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { TokenStoreError } from "./errors.js";

/** SHA-256, hex. The secrets hashed here are long random strings, so a plain hash is enough (no salt or stretching). */
export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** A fresh random value, base64url (32 bytes by default): lock owner ids and the like. */
export const randomId = (bytes = 32): string => randomBytes(bytes).toString("base64url");

/** Length of an AES-256 key, bytes. */
export const ENCRYPTION_KEY_BYTES = 32;

/**
 * Decodes a 32-byte key written as hex (64 characters) or base64 / base64url;
 * `undefined` when the text is neither or decodes to another length.
 */
export function decodeEncryptionKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, "hex");
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) key = Buffer.from(trimmed, "base64");
  return key?.length === ENCRYPTION_KEY_BYTES ? key : undefined;
}

const VERSION = "v1";
const IV_BYTES = 12; // the GCM standard nonce size
const TAG_BYTES = 16;

/**
 * AES-256-GCM with a random IV per message. The ciphertext is
 * `v1.<iv>.<ciphertext>.<tag>` (base64url parts). `context` is authenticated
 * but not stored (GCM additional data): the record's own key, so a ciphertext
 * copied under another user's key does not decrypt.
 */
export class Encryptor {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== ENCRYPTION_KEY_BYTES)
      throw new RangeError(`encryption key must be ${ENCRYPTION_KEY_BYTES} bytes`);
    this.#key = Buffer.from(key);
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  /**
   * A 32-byte key for another purpose (`label` names it), derived with HKDF:
   * instances sharing the encryption key share these too, and neither key
   * reveals the other.
   */
  deriveKey(label: string): Uint8Array {
    return new Uint8Array(hkdfSync("sha256", this.#key, Buffer.alloc(0), label, ENCRYPTION_KEY_BYTES));
  }

  /** Decrypts, or throws `TokenStoreError("decryption_failed")` for anything tampered, truncated or under another key. */
  decrypt(sealed: string, context: string): string {
    const parts = sealed.split(".");
    if (parts.length !== 4 || parts[0] !== VERSION) throw failed();
    const [iv, body, tag] = parts.slice(1).map((p) => Buffer.from(p, "base64url")) as [Buffer, Buffer, Buffer];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw failed();
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    } catch (cause) {
      throw failed(cause);
    }
  }
}

const failed = (cause?: unknown): TokenStoreError =>
  new TokenStoreError(
    "decryption_failed",
    "Upstream token record failed to decrypt: tampered with, or encrypted under another OAUTH_ENCRYPTION_KEY",
    cause === undefined ? undefined : { cause },
  );
