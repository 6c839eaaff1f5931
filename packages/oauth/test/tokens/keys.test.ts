import { createHash, generateKeyPairSync } from "node:crypto";
import { ConfigError, type Logger } from "@chuk-mcp/server";
import { type CryptoKey, compactVerify, type JWK, SignJWT } from "jose";
import { describe, expect, test } from "vitest";
import {
  createKeySet,
  generateSigningKey,
  importSigningKey,
  importVerificationKey,
  KeySet,
  type WarnLogger,
} from "../../src/tokens/keys.js";

/** A logger that keeps what it is told (the pino call shape: object, then message). */
function recordingLogger(): WarnLogger & { records: { obj: Record<string, unknown>; msg: string }[] } {
  const records: { obj: Record<string, unknown>; msg: string }[] = [];
  return { records, warn: (obj, msg) => records.push({ obj, msg }) };
}

// The framework's pino logger must be usable as is.
const _pinoFits = (logger: Logger): WarnLogger => logger;

/** A real key pair in every form a user might configure. */
function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateJwk: privateKey.export({ format: "jwk" }) as JWK,
    publicJwk: publicKey.export({ format: "jwk" }) as JWK,
    pkcs8: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    sec1: privateKey.export({ format: "pem", type: "sec1" }).toString(),
    spki: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

function edKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateJwk: privateKey.export({ format: "jwk" }) as JWK,
    publicJwk: publicKey.export({ format: "jwk" }) as JWK,
    pkcs8: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

/** RFC 7638 thumbprint computed here by hand, independent of jose. */
function thumbprint(jwk: JWK): string {
  const members =
    jwk.kty === "EC" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

async function configErrorOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message;
}

/** Signs with the key and verifies with the published JWK, proving the two halves match. */
async function roundTrips(key: { privateKey: CryptoKey; alg: string; kid: string }, publicKey: CryptoKey) {
  const jwt = await new SignJWT({ sub: "u" }).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
  const { protectedHeader } = await compactVerify(jwt, publicKey);
  return protectedHeader;
}

describe("generated development key", () => {
  test("no configured key → an ES256 key and one warning that names the variable but no key material", async () => {
    const logger = recordingLogger();
    const keys = await createKeySet({}, logger);
    expect(keys.signing.alg).toBe("ES256");
    expect(keys.signing.kid).toBe(thumbprint(keys.signing.jwk));
    expect(keys.signing.privateKey.extractable).toBe(false);
    expect(logger.records).toHaveLength(1);
    const [record] = logger.records;
    expect(record?.obj).toEqual({ kid: keys.signing.kid, alg: "ES256" });
    expect(record?.msg).toContain("OAUTH_SIGNING_KEY");
    expect(record?.msg).toContain("generated development key");
    expect(JSON.stringify(logger.records)).not.toContain(keys.signing.jwk.x);
  });

  test("OAUTH_SIGNING_ALG=EdDSA without a key → an Ed25519 development key", async () => {
    const logger = recordingLogger();
    const keys = await createKeySet({ alg: "EdDSA" }, logger);
    expect(keys.signing.alg).toBe("EdDSA");
    expect(keys.signing.jwk).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(logger.records[0]?.obj).toEqual({ kid: keys.signing.kid, alg: "EdDSA" });
  });

  test("two generated keys differ", async () => {
    const [a, b] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    expect(a.kid).not.toBe(b.kid);
  });
});

describe("configured signing key", () => {
  test("a private EC JWK (as JSON text) → ES256, kid = RFC 7638 thumbprint, no warning", async () => {
    const { privateJwk, publicJwk } = ecKey();
    const logger = recordingLogger();
    const keys = await createKeySet({ key: { value: JSON.stringify(privateJwk), from: "OAUTH_SIGNING_KEY" } }, logger);
    expect(logger.records).toEqual([]);
    expect(keys.signing.alg).toBe("ES256");
    expect(keys.signing.kid).toBe(thumbprint(publicJwk));
    expect(keys.signing.jwk).toEqual({
      kty: "EC",
      crv: "P-256",
      x: publicJwk.x,
      y: publicJwk.y,
      kid: thumbprint(publicJwk),
      alg: "ES256",
      use: "sig",
    });
    expect(await roundTrips(keys.signing, keys.signing.publicKey)).toEqual({ alg: "ES256", kid: keys.signing.kid });
  });

  test("the same key as a PKCS#8 PEM (or a SEC1 one) → the same kid", async () => {
    const key = ecKey();
    const fromPem = await importSigningKey(key.pkcs8, { from: "OAUTH_SIGNING_KEY" });
    const fromJwk = await importSigningKey(key.privateJwk);
    const fromSec1 = await importSigningKey(key.sec1);
    expect(fromPem.kid).toBe(fromJwk.kid);
    expect(fromSec1.kid).toBe(fromJwk.kid);
    expect(fromPem.jwk).toEqual(fromJwk.jwk);
    expect(await roundTrips(fromPem, fromJwk.publicKey)).toEqual({ alg: "ES256", kid: fromPem.kid });
  });

  test("a PEM on one line with literal \\n (as in .env files) loads", async () => {
    const key = ecKey();
    const oneLine = key.pkcs8.trim().replace(/\n/g, "\\n");
    expect((await importSigningKey(oneLine)).kid).toBe(thumbprint(key.publicJwk));
  });

  test("an Ed25519 JWK and PEM → EdDSA, whatever kid the JWK carried", async () => {
    const key = edKey();
    const fromJwk = await importSigningKey({ ...key.privateJwk, kid: "my-own-kid" }, { alg: "EdDSA" });
    const fromPem = await importSigningKey(key.pkcs8);
    expect(fromJwk.alg).toBe("EdDSA");
    expect(fromJwk.kid).toBe(thumbprint(key.publicJwk));
    expect(fromPem.kid).toBe(fromJwk.kid);
    expect(fromJwk.jwk).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      x: key.publicJwk.x,
      kid: fromJwk.kid,
      alg: "EdDSA",
      use: "sig",
    });
    expect(await roundTrips(fromJwk, fromPem.publicKey)).toEqual({ alg: "EdDSA", kid: fromJwk.kid });
  });

  test("the JWKS document has kid, alg, use and public members only", async () => {
    const key = ecKey();
    const previous = edKey();
    const keys = await createKeySet(
      {
        key: { value: key.privateJwk, from: "signingKey" },
        // A private JWK given as a previous key: only its public half may be published.
        previousKeys: [{ value: previous.privateJwk, from: "previousSigningKeys.0" }],
      },
      recordingLogger(),
    );
    const jwks = keys.jwks();
    expect(jwks).toEqual({
      keys: [
        {
          kty: "EC",
          crv: "P-256",
          x: key.publicJwk.x,
          y: key.publicJwk.y,
          kid: keys.signing.kid,
          alg: "ES256",
          use: "sig",
        },
        {
          kty: "OKP",
          crv: "Ed25519",
          x: previous.publicJwk.x,
          kid: thumbprint(previous.publicJwk),
          alg: "EdDSA",
          use: "sig",
        },
      ],
    });
    const text = JSON.stringify(jwks);
    expect(text).not.toContain('"d"');
    expect(text).not.toContain(key.privateJwk.d);
    expect(text).not.toContain(previous.privateJwk.d);
  });
});

describe("verification keys (rotation)", () => {
  test("current and previous keys are found by kid; algorithms lists both", async () => {
    const current = await generateSigningKey("ES256");
    const old = ecKey();
    const older = edKey();
    const keys = new KeySet(current, [
      await importVerificationKey(old.publicJwk),
      await importVerificationKey(older.publicJwk),
    ]);
    expect(keys.get(current.kid)).toBe(current);
    expect(keys.get(thumbprint(old.publicJwk))?.alg).toBe("ES256");
    expect(keys.get(thumbprint(older.publicJwk))?.alg).toBe("EdDSA");
    expect(keys.get("nope")).toBeUndefined();
    expect(keys.algorithms.sort()).toEqual(["ES256", "EdDSA"]);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([
      current.kid,
      thumbprint(old.publicJwk),
      thumbprint(older.publicJwk),
    ]);
  });

  test("an SPKI PEM loads as a verification key; the current key listed again as previous is not duplicated", async () => {
    const key = ecKey();
    const signing = await importSigningKey(key.privateJwk);
    const fromSpki = await importVerificationKey(key.spki, { from: "OAUTH_PREVIOUS_SIGNING_KEYS[0]" });
    expect(fromSpki.kid).toBe(signing.kid);
    const keys = new KeySet(signing, [fromSpki]);
    expect(keys.jwks().keys).toHaveLength(1);
    expect(keys.get(signing.kid)).toBe(signing);
  });

  test("a token signed by a previous key verifies against it", async () => {
    const old = await generateSigningKey("EdDSA");
    const keys = new KeySet(await generateSigningKey("ES256"), [old]);
    expect(await roundTrips(old, keys.get(old.kid)!.publicKey)).toEqual({ alg: "EdDSA", kid: old.kid });
  });
});

describe("bad keys are refused with a message naming the source and no key material", () => {
  test("a public key cannot sign", async () => {
    const message = await configErrorOf(importSigningKey(ecKey().publicJwk, { from: "OAUTH_SIGNING_KEY" }));
    expect(message).toBe("Invalid configuration: OAUTH_SIGNING_KEY: is a public key; signing needs the private key");
  });

  test("configured alg differs from the key's", async () => {
    const message = await configErrorOf(importSigningKey(edKey().privateJwk, { alg: "ES256", from: "signingKey" }));
    expect(message).toBe(
      "Invalid configuration: signingKey: the key is for EdDSA but the signing algorithm is ES256 (OAUTH_SIGNING_ALG)",
    );
  });

  test("the JWK's own alg contradicts its type", async () => {
    const message = await configErrorOf(importSigningKey({ ...ecKey().privateJwk, alg: "ES384" }, { from: "k" }));
    expect(message).toBe("Invalid configuration: k: the JWK says alg ES384 but the key is for ES256");
  });

  test("RSA, P-384 and symmetric keys are not accepted", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    expect(
      await configErrorOf(importSigningKey(rsa.export({ format: "pem", type: "pkcs8" }).toString(), { from: "k" })),
    ).toBe("Invalid configuration: k: unsupported key type rsa (need EC P-256 or Ed25519)");
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ format: "jwk" }) as JWK;
    expect(await configErrorOf(importSigningKey(p384, { from: "k" }))).toContain(
      "k: unsupported key (kty EC, crv P-384)",
    );
    expect(await configErrorOf(importSigningKey({ kty: "oct", k: "c2VjcmV0" }, { from: "k" }))).toContain(
      "k: unsupported key (kty oct",
    );
  });

  test("unreadable text: not JSON, not PEM, a broken PEM", async () => {
    const key = ecKey();
    const truncatedJson = JSON.stringify(key.privateJwk).slice(0, 40);
    const jsonMessage = await configErrorOf(importSigningKey(truncatedJson, { from: "OAUTH_SIGNING_KEY" }));
    expect(jsonMessage).toBe("Invalid configuration: OAUTH_SIGNING_KEY: looks like a JWK but is not valid JSON");
    expect(jsonMessage).not.toContain(truncatedJson);
    expect(await configErrorOf(importSigningKey("secret", { from: "k" }))).toBe(
      "Invalid configuration: k: must be a JWK (JSON) or a PEM key",
    );
    // Drop the last body line: the DER inside is cut short.
    const lines = key.pkcs8.trim().split("\n");
    const brokenPem = [...lines.slice(0, -2), lines.at(-1)].join("\n");
    const pemMessage = await configErrorOf(importSigningKey(brokenPem, { from: "k" }));
    expect(pemMessage).toBe(
      'Invalid configuration: k: is not a readable PEM key (expected an unencrypted PKCS#8 "PRIVATE KEY")',
    );
  });

  test.each([
    ["ES256", () => ecKey().privateJwk],
    ["EdDSA", () => edKey().privateJwk],
  ] as const)("a private %s JWK whose public part belongs to another key is refused", async (alg, make) => {
    const a = make();
    const b = make();
    const message = await configErrorOf(importSigningKey({ ...a, x: b.x, y: b.y }, { from: "OAUTH_SIGNING_KEY" }));
    expect(message).toBe(
      `Invalid configuration: OAUTH_SIGNING_KEY: is not a valid ${alg} key (or its private and public parts do not match)`,
    );
    expect(message).not.toContain(a.d);
  });

  test("a JWK without its public coordinates is refused", async () => {
    const { kty, crv, d } = ecKey().privateJwk;
    expect(await configErrorOf(importSigningKey({ kty, crv, d }, { from: "k" }))).toBe(
      "Invalid configuration: k: the JWK lacks its public coordinates",
    );
  });
});
