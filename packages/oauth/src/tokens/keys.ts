/**
 * Signing keys for access tokens. Asymmetric only (ES256 or EdDSA): the public
 * half is published as a JWKS so that anything may verify our tokens, and
 * nothing but this server can mint them.
 *
 * Keys come from configuration in production (a private JWK or a PKCS#8 PEM),
 * or are generated at start-up in development, with a warning: a generated key
 * lives in this process only, so tokens do not survive a restart.
 *
 * A key set holds one signing key and any number of verification-only keys
 * (previous signing keys), so a key can be rotated without cutting off the
 * tokens it already signed.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { ConfigError } from "@chuk-mcp/server";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

/** The signature algorithms we sign and accept. Asymmetric only: `none` and HS* never. */
export const SIGNING_ALGS = ["ES256", "EdDSA"] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/**
 * A key as configured: a JWK (an object or its JSON text) or a PEM (PKCS#8
 * `PRIVATE KEY`; for verification-only keys also an SPKI `PUBLIC KEY`).
 */
export type KeyInput = string | JWK;

/** A key as published in the JWKS document: public parameters only. */
export interface PublicJwk {
  kty: "EC" | "OKP";
  crv: "P-256" | "Ed25519";
  x: string;
  /** EC keys only. */
  y?: string;
  /** The RFC 7638 SHA-256 thumbprint of the public key. */
  kid: string;
  alg: SigningAlg;
  use: "sig";
}

/** The JWKS document (RFC 7517 §5). */
export interface JsonWebKeySet {
  keys: PublicJwk[];
}

/** A key that verifies signatures. */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicKey: CryptoKey;
  readonly jwk: PublicJwk;
}

/** A key that signs (and, through its public half, verifies). The private key is not extractable. */
export interface SigningKey extends VerificationKey {
  readonly privateKey: CryptoKey;
}

/** The logger a key set warns through (a pino logger fits). */
export interface WarnLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Where a configured key came from, so that messages name it (`OAUTH_SIGNING_KEY`, `signingKey`, …). */
export interface NamedKeyInput {
  value: KeyInput;
  from: string;
}

/** What `createKeySet` needs: see `OAuthConfig.signing`. */
export interface SigningKeyConfig {
  /** The signing key; absent → a generated development key (with a warning). */
  key?: NamedKeyInput | undefined;
  /** Expected algorithm; absent → the key's own (ES256 for a generated key). */
  alg?: SigningAlg | undefined;
  /** Keys that still verify but no longer sign. */
  previousKeys?: readonly NamedKeyInput[] | undefined;
}

/** One signing key plus verification keys, looked up by `kid`. */
export class KeySet {
  /** The key new tokens are signed with. */
  readonly signing: SigningKey;
  readonly #byKid: ReadonlyMap<string, VerificationKey>;

  constructor(signing: SigningKey, previous: readonly VerificationKey[] = []) {
    this.signing = signing;
    const byKid = new Map<string, VerificationKey>([[signing.kid, signing]]);
    for (const key of previous) if (!byKid.has(key.kid)) byKid.set(key.kid, key);
    this.#byKid = byKid;
  }

  /** The verification key with this `kid`, if we have one. */
  get(kid: string): VerificationKey | undefined {
    return this.#byKid.get(kid);
  }

  /** Every algorithm some key of this set verifies. */
  get algorithms(): SigningAlg[] {
    return [...new Set([...this.#byKid.values()].map((k) => k.alg))];
  }

  /** The public JWKS document: the signing key first, then the previous keys. Never private parts. */
  jwks(): JsonWebKeySet {
    return { keys: [...this.#byKid.values()].map((k) => ({ ...k.jwk })) };
  }
}

/**
 * Builds the key set from configuration. Without a configured signing key it
 * generates one and warns: fine on one machine, wrong in production.
 */
export async function createKeySet(config: SigningKeyConfig, logger: WarnLogger): Promise<KeySet> {
  let signing: SigningKey;
  if (config.key) {
    signing = await importSigningKey(config.key.value, { alg: config.alg, from: config.key.from });
  } else {
    signing = await generateSigningKey(config.alg ?? "ES256");
    logger.warn(
      { kid: signing.kid, alg: signing.alg },
      "No signing key configured (OAUTH_SIGNING_KEY): using a generated development key. Access tokens will " +
        "not verify after a restart or on another instance. Set OAUTH_SIGNING_KEY in production.",
    );
  }
  const previous = await Promise.all(
    (config.previousKeys ?? []).map((k) => importVerificationKey(k.value, { from: k.from })),
  );
  return new KeySet(signing, previous);
}

/** A fresh key pair, held in memory only (the private key is not extractable). */
export async function generateSigningKey(alg: SigningAlg = "ES256"): Promise<SigningKey> {
  const pair = await generateKeyPair(alg === "EdDSA" ? "Ed25519" : "ES256", { extractable: false });
  const jwk = await publicJwkOf(await exportJWK(pair.publicKey), alg, "generated key");
  return { kid: jwk.kid, alg, publicKey: pair.publicKey, privateKey: pair.privateKey, jwk };
}

/** Options for importing a configured key. */
export interface ImportKeyOptions {
  /** The algorithm the key must be for; absent → inferred from the key. */
  alg?: SigningAlg | undefined;
  /** The option or variable the key came from, for error messages. */
  from?: string;
}

/**
 * Imports a private signing key (JWK or PKCS#8 PEM). Its `kid` is its RFC 7638
 * thumbprint, whatever `kid` the JWK carried, so that the same key always has
 * the same id. Throws a `ConfigError` naming `options.from`; the message never
 * contains key material.
 */
export async function importSigningKey(input: KeyInput, options: ImportKeyOptions = {}): Promise<SigningKey> {
  const from = options.from ?? "signing key";
  const jwk = parseKeyInput(input, from);
  const alg = algorithmOf(jwk, options.alg, from);
  if (typeof jwk.d !== "string") throw new ConfigError(`${from}: is a public key; signing needs the private key`);
  const publicJwk = await publicJwkOf(jwk, alg, from);
  const publicKey = await importKey(publicParams(publicJwk), alg, from);
  // WebCrypto checks at import that `d` belongs to `x`/`y`: a mismatched JWK
  // (which would sign tokens nobody can verify) fails here, at start-up.
  const privateKey = await importKey({ ...publicParams(publicJwk), d: jwk.d }, alg, from, false);
  return { kid: publicJwk.kid, alg, publicKey, privateKey, jwk: publicJwk };
}

/**
 * Imports a verification-only key (a previous signing key): a JWK (public or
 * private), or a PEM. Only its public half is kept.
 */
export async function importVerificationKey(input: KeyInput, options: ImportKeyOptions = {}): Promise<VerificationKey> {
  const from = options.from ?? "verification key";
  const jwk = parseKeyInput(input, from);
  const alg = algorithmOf(jwk, options.alg, from);
  const publicJwk = await publicJwkOf(jwk, alg, from);
  const publicKey = await importKey(publicParams(publicJwk), alg, from);
  return { kid: publicJwk.kid, alg, publicKey, jwk: publicJwk };
}

/** Turns a configured key into a JWK. PEM goes through node:crypto, which knows every PEM flavour. */
function parseKeyInput(input: KeyInput, from: string): JWK {
  if (typeof input !== "string") {
    if (typeof input !== "object" || input === null) throw new ConfigError(`${from}: must be a JWK or a PEM`);
    return input;
  }
  const text = input.trim();
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not the parser's message: it quotes the input, and the input is a private key.
      throw new ConfigError(`${from}: looks like a JWK but is not valid JSON`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${from}: must be a JWK object`);
    }
    return parsed as JWK;
  }
  if (text.includes("-----BEGIN")) {
    // Environment files often carry a PEM on one line with literal "\n".
    const pem = text.includes("\n") ? text : text.replace(/\\n/g, "\n");
    let key: KeyObject;
    try {
      key = pem.includes("PUBLIC KEY") ? createPublicKey(pem) : createPrivateKey(pem);
    } catch {
      throw new ConfigError(`${from}: is not a readable PEM key (expected an unencrypted PKCS#8 "PRIVATE KEY")`);
    }
    if (key.asymmetricKeyType !== "ec" && key.asymmetricKeyType !== "ed25519") {
      throw new ConfigError(
        `${from}: unsupported key type ${key.asymmetricKeyType ?? "unknown"} (need EC P-256 or Ed25519)`,
      );
    }
    return key.export({ format: "jwk" }) as JWK;
  }
  throw new ConfigError(`${from}: must be a JWK (JSON) or a PEM key`);
}

/** The algorithm a key is for: from its type and curve, checked against the JWK's `alg` and the configured one. */
function algorithmOf(jwk: JWK, expected: SigningAlg | undefined, from: string): SigningAlg {
  let alg: SigningAlg;
  if (jwk.kty === "EC" && jwk.crv === "P-256") alg = "ES256";
  else if (jwk.kty === "OKP" && jwk.crv === "Ed25519") alg = "EdDSA";
  else {
    throw new ConfigError(
      `${from}: unsupported key (kty ${String(jwk.kty)}, crv ${String(jwk.crv)}); use EC P-256 (ES256) or OKP Ed25519 (EdDSA)`,
    );
  }
  if (jwk.alg !== undefined && jwk.alg !== alg && !(alg === "EdDSA" && jwk.alg === "Ed25519")) {
    throw new ConfigError(`${from}: the JWK says alg ${jwk.alg} but the key is for ${alg}`);
  }
  if (expected !== undefined && expected !== alg) {
    throw new ConfigError(
      `${from}: the key is for ${alg} but the signing algorithm is ${expected} (OAUTH_SIGNING_ALG)`,
    );
  }
  return alg;
}

/** The public JWK we publish: chosen members only, so no private member can slip through. */
async function publicJwkOf(jwk: JWK, alg: SigningAlg, from: string): Promise<PublicJwk> {
  if (typeof jwk.x !== "string" || (alg === "ES256" && typeof jwk.y !== "string")) {
    throw new ConfigError(`${from}: the JWK lacks its public coordinates`);
  }
  const params =
    alg === "ES256"
      ? { kty: "EC" as const, crv: "P-256" as const, x: jwk.x, y: jwk.y as string }
      : { kty: "OKP" as const, crv: "Ed25519" as const, x: jwk.x };
  const kid = await calculateJwkThumbprint(params, "sha256");
  return { ...params, kid, alg, use: "sig" };
}

const publicParams = (jwk: PublicJwk): JWK =>
  jwk.y === undefined ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };

async function importKey(jwk: JWK, alg: SigningAlg, from: string, extractable?: boolean): Promise<CryptoKey> {
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(jwk, alg, extractable === undefined ? undefined : { extractable });
  } catch {
    throw new ConfigError(`${from}: is not a valid ${alg} key (or its private and public parts do not match)`);
  }
  if (key instanceof Uint8Array) throw new ConfigError(`${from}: must be an asymmetric key`);
  return key;
}
