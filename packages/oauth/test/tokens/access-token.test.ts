import { createHmac, generateKeyPairSync } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { beforeAll, describe, expect, test } from "vitest";
import { oauthErrorResponse, ResourceServerError, type TokenCheck } from "../../src/errors.js";
import {
  type AccessTokenClaims,
  type IssueAccessTokenParams,
  issueAccessToken,
  scopesOf,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from "../../src/tokens/access-token.js";
import { generateSigningKey, KeySet, type SigningKey } from "../../src/tokens/keys.js";

const ISSUER = "https://auth.example.com";
const RESOURCE = "https://mcp.example.com/mcp";
/** A fixed clock (seconds): every time-dependent check below is decided by it, not by the wall clock. */
const T0 = 1_750_000_000;

const base: IssueAccessTokenParams = {
  issuer: ISSUER,
  subject: "user-42",
  audience: RESOURCE,
  clientId: "client-abc",
  scopes: ["posts.write", "profile.read"],
  ttl: 900,
  now: T0,
};
const verifyAt = (now: number): VerifyAccessTokenOptions => ({ issuer: ISSUER, audience: RESOURCE, now });

let keys: KeySet;
let other: SigningKey;

beforeAll(async () => {
  keys = new KeySet(await generateSigningKey("ES256"));
  other = await generateSigningKey("ES256");
});

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Signs arbitrary header and claims with `key`, as an attacker (or a bug) might. */
async function craft(
  key: SigningKey,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, ...header }).sign(key.privateKey);
}

/** Claims exactly like ours, for hand-made tokens. */
const goodClaims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISSUER,
  sub: "user-42",
  aud: RESOURCE,
  client_id: "client-abc",
  scope: "posts.write",
  iat: T0,
  exp: T0 + 900,
  jti: "jti-1",
  ...overrides,
});

/** The check a refused token failed; fails the test if the token is accepted or the error is of another kind. */
async function refusal(
  token: string,
  options: VerifyAccessTokenOptions = verifyAt(T0),
  set: KeySet = keys,
): Promise<TokenCheck | undefined> {
  const err = await verifyAccessToken(token, set, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ResourceServerError);
  const error = err as ResourceServerError;
  expect(error.code).toBe("invalid_token");
  // Nothing of the token comes back: not in the message, not in the description.
  for (const part of token.split(".").filter((p) => p.length > 8)) {
    expect(error.message).not.toContain(part);
    expect(error.description ?? "").not.toContain(part);
  }
  expect(error.cause).toBeUndefined();
  return error.check;
}

describe("issue → verify", () => {
  test("every RFC 9068 claim and header parameter is present and correct", async () => {
    const issued = await issueAccessToken(keys, base);
    const header = decodeProtectedHeader(issued.token);
    expect(header).toEqual({ alg: "ES256", typ: "at+jwt", kid: keys.signing.kid });
    const payload = decodeJwt(issued.token);
    expect(payload).toEqual({
      iss: ISSUER,
      sub: "user-42",
      aud: RESOURCE,
      client_id: "client-abc",
      scope: "posts.write profile.read",
      iat: T0,
      exp: T0 + 900,
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    expect(issued.claims).toEqual(payload);
    expect(issued.expiresIn).toBe(900);

    const verified = await verifyAccessToken(issued.token, keys, verifyAt(T0 + 1));
    expect(verified).toEqual(payload);
    expect(scopesOf(verified)).toEqual(["posts.write", "profile.read"]);
  });

  test("with the real clock: issued now, valid now, exp - iat = ttl", async () => {
    const { token, claims } = await issueAccessToken(keys, { ...base, now: undefined, ttl: 60 });
    expect(claims.exp - claims.iat).toBe(60);
    expect(Number.isInteger(claims.iat)).toBe(true);
    expect((await verifyAccessToken(token, keys, { issuer: ISSUER, audience: RESOURCE })).jti).toBe(claims.jti);
  });

  test("each token has its own jti", async () => {
    const [a, b] = await Promise.all([issueAccessToken(keys, base), issueAccessToken(keys, base)]);
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });

  test("extra claims are carried and returned; registered claims cannot be overridden", async () => {
    const { token } = await issueAccessToken(keys, { ...base, extraClaims: { auth_time: T0 - 5, acr: "pwd" } });
    const claims: AccessTokenClaims = await verifyAccessToken(token, keys, verifyAt(T0));
    expect(claims.auth_time).toBe(T0 - 5);
    expect(claims.acr).toBe("pwd");
    for (const name of ["sub", "aud", "scope", "client_id", "exp", "jti"]) {
      await expect(issueAccessToken(keys, { ...base, extraClaims: { [name]: "x" } })).rejects.toThrow(
        `extraClaims may not set the registered claim "${name}"`,
      );
    }
  });

  test("duplicate scopes are dropped; no scopes → empty scope claim; bad scope tokens and TTLs are refused", async () => {
    const dup = await issueAccessToken(keys, { ...base, scopes: ["a", "b", "a"] });
    expect(dup.claims.scope).toBe("a b");
    const none = await issueAccessToken(keys, { ...base, scopes: [] });
    expect(none.claims.scope).toBe("");
    expect(scopesOf(await verifyAccessToken(none.token, keys, verifyAt(T0)))).toEqual([]);
    await expect(issueAccessToken(keys, { ...base, scopes: ["two words"] })).rejects.toThrow("Invalid scope token");
    await expect(issueAccessToken(keys, { ...base, scopes: ['q"uote'] })).rejects.toThrow("Invalid scope token");
    await expect(issueAccessToken(keys, { ...base, ttl: 0 })).rejects.toThrow("ttl must be a positive integer");
  });

  test("EdDSA keys issue tokens that verify", async () => {
    const ed = new KeySet(await generateSigningKey("EdDSA"));
    const { token } = await issueAccessToken(ed, base);
    expect(decodeProtectedHeader(token).alg).toBe("EdDSA");
    expect((await verifyAccessToken(token, ed, verifyAt(T0))).sub).toBe("user-42");
  });

  test("a token signed by a previous key still verifies after rotation", async () => {
    const old = keys.signing;
    const { token } = await issueAccessToken(keys, base);
    const rotated = new KeySet(await generateSigningKey("ES256"), [old]);
    expect((await verifyAccessToken(token, rotated, verifyAt(T0))).sub).toBe("user-42");
    // …and once the old key is dropped, it does not.
    expect(await refusal(token, verifyAt(T0), new KeySet(rotated.signing))).toBe("kid");
  });

  test("an aud array that includes this resource is accepted", async () => {
    const token = await craft(
      keys.signing,
      { typ: "at+jwt", kid: keys.signing.kid },
      goodClaims({ aud: ["https://other.example", RESOURCE] }),
    );
    expect((await verifyAccessToken(token, keys, verifyAt(T0))).aud).toEqual(["https://other.example", RESOURCE]);
  });

  test("typ may be written application/at+jwt (RFC 7515 §4.1.9)", async () => {
    const token = await craft(keys.signing, { typ: "application/AT+JWT", kid: keys.signing.kid }, goodClaims());
    expect((await verifyAccessToken(token, keys, verifyAt(T0))).jti).toBe("jti-1");
  });
});

describe("refused tokens, each with the failed check", () => {
  test("forged signature: payload changed after signing", async () => {
    const { token } = await issueAccessToken(keys, base);
    const [header, , signature] = token.split(".");
    const forged = `${header}.${b64({ ...decodeJwt(token), scope: "admin" })}.${signature}`;
    expect(await refusal(forged)).toBe("signature");
  });

  test("signed by another key that claims our kid", async () => {
    const token = await craft(other, { typ: "at+jwt", kid: keys.signing.kid }, goodClaims());
    expect(await refusal(token)).toBe("signature");
  });

  test("signed by another key under its own kid, or with no kid", async () => {
    expect(await refusal(await craft(other, { typ: "at+jwt", kid: other.kid }, goodClaims()))).toBe("kid");
    expect(await refusal(await craft(keys.signing, { typ: "at+jwt" }, goodClaims()))).toBe("kid");
  });

  test("expired: refused once past exp plus the clock tolerance, accepted just within it", async () => {
    const { token } = await issueAccessToken(keys, base);
    expect((await verifyAccessToken(token, keys, verifyAt(T0 + 900 + 29))).sub).toBe("user-42");
    expect(await refusal(token, verifyAt(T0 + 900 + 30))).toBe("exp");
    expect(await refusal(token, { ...verifyAt(T0 + 900), clockTolerance: 0 })).toBe("exp");
  });

  test("not valid yet (nbf in the future beyond the tolerance)", async () => {
    const token = await craft(keys.signing, { typ: "at+jwt", kid: keys.signing.kid }, goodClaims({ nbf: T0 + 120 }));
    expect(await refusal(token)).toBe("nbf");
    expect((await verifyAccessToken(token, keys, verifyAt(T0 + 100))).nbf).toBe(T0 + 120);
  });

  test("wrong audience", async () => {
    const { token } = await issueAccessToken(keys, { ...base, audience: "https://other.example.com/mcp" });
    expect(await refusal(token)).toBe("aud");
  });

  test("wrong issuer", async () => {
    const { token } = await issueAccessToken(keys, { ...base, issuer: "https://evil.example.com" });
    expect(await refusal(token)).toBe("iss");
    expect(await refusal((await issueAccessToken(keys, base)).token, { ...verifyAt(T0), issuer: `${ISSUER}/` })).toBe(
      "iss",
    );
  });

  test.each([
    ["JWT", { typ: "JWT" }],
    ["an ID token's typ", { typ: "id_token+jwt" }],
    ["no typ", {}],
  ])("wrong typ: %s", async (_name, typ) => {
    const token = await craft(keys.signing, { kid: keys.signing.kid, ...typ }, goodClaims());
    expect(await refusal(token)).toBe("typ");
  });

  test("alg none, crafted by hand", async () => {
    const payload = b64(goodClaims());
    const none = `${b64({ alg: "none", typ: "at+jwt", kid: keys.signing.kid })}.${payload}.`;
    expect(await refusal(none)).toBe("alg");
    const noneUpper = `${b64({ alg: "NONE", typ: "at+jwt", kid: keys.signing.kid })}.${payload}.`;
    expect(await refusal(noneUpper)).toBe("alg");
    // Refused by the allow-list itself, before any key lookup.
    expect(await refusal(`${b64({ alg: "none", typ: "at+jwt" })}.${payload}.`)).toBe("alg");
    expect(await refusal(`${b64({ alg: "none" })}.${payload}.`)).toBe("alg");
  });

  test("HS256 signed with our public key as the shared secret (key confusion)", async () => {
    const jwks = JSON.stringify(keys.signing.jwk);
    const header = b64({ alg: "HS256", typ: "at+jwt", kid: keys.signing.kid });
    const payload = b64(goodClaims());
    for (const secret of [jwks, keys.signing.jwk.x, keys.signing.jwk.y ?? ""]) {
      const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
      expect(await refusal(`${header}.${payload}.${signature}`)).toBe("alg");
    }
    const bare = b64({ alg: "HS256", typ: "at+jwt" });
    const signature = createHmac("sha256", jwks).update(`${bare}.${payload}`).digest("base64url");
    expect(await refusal(`${bare}.${payload}.${signature}`)).toBe("alg");
  });

  test("an algorithm that is in the set but not the kid's own", async () => {
    const ed = await generateSigningKey("EdDSA");
    const both = new KeySet(keys.signing, [ed]);
    // Signed with the Ed25519 key but pointing at the ES256 key.
    const token = await craft(ed, { typ: "at+jwt", kid: keys.signing.kid }, goodClaims());
    expect(await refusal(token, verifyAt(T0), both)).toBe("alg");
  });

  test("ES384 from a key we never had", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const token = await new SignJWT(goodClaims())
      .setProtectedHeader({ alg: "ES384", typ: "at+jwt", kid: keys.signing.kid })
      .sign(privateKey);
    expect(await refusal(token)).toBe("alg");
  });

  test.each([
    ["client_id", { client_id: undefined }],
    ["jti", { jti: undefined }],
    ["sub", { sub: undefined }],
    ["scope", { scope: undefined }],
    ["iat", { iat: undefined }],
    ["exp", { exp: undefined }],
  ])("a missing %s claim", async (_name, overrides) => {
    const token = await craft(keys.signing, { typ: "at+jwt", kid: keys.signing.kid }, goodClaims(overrides));
    expect(await refusal(token)).toBe("claims");
  });

  test.each([
    ["client_id", { client_id: 7 }],
    ["sub", { sub: "" }],
    ["scope", { scope: ["posts.write"] }],
    ["jti", { jti: 12 }],
  ])("a %s of the wrong type", async (_name, overrides) => {
    const token = await craft(keys.signing, { typ: "at+jwt", kid: keys.signing.kid }, goodClaims(overrides));
    expect(await refusal(token)).toBe("claims");
  });

  test.each([
    ["empty", ""],
    ["one segment", "abc"],
    ["not base64url", "a*b.c*d.e*f"],
    ["a header that is not JSON", `${Buffer.from("{nope").toString("base64url")}.e30.sig`],
    ["far too long", `${"a".repeat(9000)}.b.c`],
  ])("malformed: %s", async (_name, token) => {
    expect(await refusal(token)).toBe("malformed");
  });

  test("revoked: isRevoked sees the jti, and a revoked token is refused", async () => {
    const { token, claims } = await issueAccessToken(keys, base);
    const asked: string[] = [];
    const revoked = new Set([claims.jti]);
    const isRevoked = (jti: string) => {
      asked.push(jti);
      return revoked.has(jti);
    };
    expect(await refusal(token, { ...verifyAt(T0), isRevoked })).toBe("revoked");
    expect(asked).toEqual([claims.jti]);
    revoked.clear();
    expect((await verifyAccessToken(token, keys, { ...verifyAt(T0), isRevoked: async () => false })).jti).toBe(
      claims.jti,
    );
  });

  test("revocation is not consulted for a token that already failed", async () => {
    const { token } = await issueAccessToken(keys, base);
    const asked: string[] = [];
    const check = await refusal(token, {
      ...verifyAt(T0 + 10_000),
      isRevoked: (jti) => {
        asked.push(jti);
        return false;
      },
    });
    expect(check).toBe("exp");
    expect(asked).toEqual([]);
  });

  test("a refusal goes on the wire as 401 invalid_token with its description", async () => {
    const { token } = await issueAccessToken(keys, base);
    const err = await verifyAccessToken(token, keys, verifyAt(T0 + 10_000)).catch((e: unknown) => e);
    const response = oauthErrorResponse(err, { resourceMetadata: "https://mcp.example.com/.well-known/x" });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: "invalid_token", error_description: "The access token has expired" });
    expect(response.headers["www-authenticate"]).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/x", error="invalid_token", error_description="The access token has expired"',
    );
  });
});
