import { type CryptoKey, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { issueAccessToken } from "../../src/tokens/access-token.js";
import { preflight } from "../helpers/oauth-flow.js";
import { type StartedOAuthServer, startOAuthServer } from "../helpers/oauth-server.js";

/** Members of a private JWK (RFC 7518 §6.2.2, §6.3.2; RFC 8037): none may be published. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

describe("GET /oauth/jwks", () => {
  let s: StartedOAuthServer;
  let previousPrivateKey: CryptoKey;
  let previousKid: string;

  beforeAll(async () => {
    // One configured signing key and one previous key that still verifies (rotation).
    const current = await generateKeyPair("ES256", { extractable: true });
    const previous = await generateKeyPair("EdDSA", { extractable: true });
    previousPrivateKey = previous.privateKey;
    s = await startOAuthServer({
      middleware: {
        signingKey: await exportJWK(current.privateKey),
        previousSigningKeys: [await exportJWK(previous.privateKey)],
      },
    });
    const ctx = await s.middleware.ready;
    const other = ctx.keys.jwks().keys.find((k) => k.alg === "EdDSA");
    previousKid = other?.kid ?? "";
  });
  afterAll(async () => {
    await s.close();
  });

  test("public keys only, each with kid, alg and use", async () => {
    const res = await fetch(`${s.origin}/oauth/jwks`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/jwk-set\+json/);
    expect(res.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
    const body = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys).toHaveLength(2);
    expect(body.keys.map((k) => k.alg).sort()).toEqual(["ES256", "EdDSA"]);
    for (const key of body.keys) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: expect.any(String), use: "sig" });
      expect(["EC", "OKP"]).toContain(key.kty);
      for (const member of PRIVATE_MEMBERS) expect(key, member).not.toHaveProperty(member);
    }
  });

  test("the jwks_uri of the metadata is this document", async () => {
    const metadata = (await (await fetch(`${s.origin}/.well-known/oauth-authorization-server`)).json()) as {
      jwks_uri: string;
    };
    expect(metadata.jwks_uri).toBe(`${s.origin}/oauth/jwks`);
  });

  test("verifies an access token we issued, fetched over HTTP by jose", async () => {
    const ctx = await s.middleware.ready;
    const issued = await issueAccessToken(ctx.keys, {
      issuer: ctx.config.issuer,
      subject: "alice",
      audience: ctx.resource,
      clientId: "client-1",
      scopes: ["posts.write"],
      ttl: 60,
    });
    const jwks = createRemoteJWKSet(new URL(`${s.origin}/oauth/jwks`));
    const { payload, protectedHeader } = await jwtVerify(issued.token, jwks, {
      issuer: s.origin,
      audience: s.mcpUrl,
      typ: "at+jwt",
    });
    expect(payload.sub).toBe("alice");
    expect(protectedHeader.kid).toBe(ctx.keys.signing.kid);
    expect(protectedHeader.alg).toBe("ES256");
  });

  test("a token signed by the previous key still verifies; one signed by an unknown key does not", async () => {
    const jwks = createRemoteJWKSet(new URL(`${s.origin}/oauth/jwks`));
    const old = await new SignJWT({ sub: "bob" })
      .setProtectedHeader({ alg: "EdDSA", kid: previousKid, typ: "at+jwt" })
      .setIssuer(s.origin)
      .setExpirationTime("1m")
      .sign(previousPrivateKey);
    await expect(jwtVerify(old, jwks, { issuer: s.origin })).resolves.toMatchObject({ payload: { sub: "bob" } });

    const stranger = await generateKeyPair("ES256");
    const forged = await new SignJWT({ sub: "mallory" })
      .setProtectedHeader({ alg: "ES256", kid: (await s.middleware.ready).keys.signing.kid })
      .setIssuer(s.origin)
      .setExpirationTime("1m")
      .sign(stranger.privateKey);
    await expect(jwtVerify(forged, jwks, { issuer: s.origin })).rejects.toThrow(/signature/);
  });

  test("CORS: readable from any origin, preflight answered, other methods 405", async () => {
    const get = await fetch(`${s.origin}/oauth/jwks`, { headers: { origin: "https://inspector.example" } });
    expect(get.headers.get("access-control-allow-origin")).toBe("*");
    const answer = await preflight(`${s.origin}/oauth/jwks`, "GET", { origin: "https://inspector.example" });
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(answer.headers.get("access-control-allow-methods")).toBe("GET, HEAD, OPTIONS");
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await fetch(`${s.origin}/oauth/jwks`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    }
  });
});
