import { describe, expect, test } from "vitest";
import {
  clientRecordOf,
  MAX_REDIRECT_URIS,
  parseClientMetadata,
  registrationResponseOf,
} from "../../src/clients/registration.js";
import { generateClientSecret, verifyClientSecret } from "../../src/clients/secret.js";
import { RegistrationError } from "../../src/errors.js";
import { hashOpaqueToken } from "../../src/tokens/opaque.js";

const policy = { scopesSupported: ["posts.write", "profile.read"] };
const minimal = { redirect_uris: ["https://app.example/cb"] };

/** The RegistrationError `parseClientMetadata` throws for `body`. */
function refusal(body: unknown, scopesSupported: readonly string[] = policy.scopesSupported): RegistrationError {
  try {
    parseClientMetadata(body, { scopesSupported });
  } catch (err) {
    if (err instanceof RegistrationError) return err;
    throw err;
  }
  throw new Error("expected a RegistrationError");
}

describe("parseClientMetadata", () => {
  test("RFC 7591 defaults: client_secret_basic, authorization_code, code, web", () => {
    expect(parseClientMetadata(minimal, policy)).toEqual({
      redirect_uris: ["https://app.example/cb"],
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      application_type: "web",
    });
  });

  test("keeps what it understands, drops unknown members, treats null as absent, dedupes lists", () => {
    const parsed = parseClientMetadata(
      {
        ...minimal,
        redirect_uris: ["https://app.example/cb", "https://app.example/cb"],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token", "refresh_token"],
        scope: " posts.write  profile.read posts.write",
        client_name: "App",
        client_uri: "https://app.example",
        logo_uri: null,
        contacts: ["ops@app.example"],
        software_id: "app",
        jwks_uri: "https://app.example/jwks",
        unknown: { nested: true },
      },
      policy,
    );
    expect(parsed).toEqual({
      redirect_uris: ["https://app.example/cb"],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      application_type: "web",
      scope: "posts.write profile.read",
      client_name: "App",
      client_uri: "https://app.example",
      contacts: ["ops@app.example"],
      software_id: "app",
    });
  });

  test("an empty scope counts as none; any scope is fine when the server lists none", () => {
    expect(parseClientMetadata({ ...minimal, scope: "" }, policy).scope).toBeUndefined();
    expect(parseClientMetadata({ ...minimal, scope: "anything else" }, { scopesSupported: [] }).scope).toBe(
      "anything else",
    );
  });

  test.each([
    ["not an object", [minimal], "invalid_client_metadata"],
    ["null", null, "invalid_client_metadata"],
    ["missing redirect_uris", {}, "invalid_redirect_uri"],
    ["redirect_uris not an array", { redirect_uris: "https://app.example/cb" }, "invalid_redirect_uri"],
    ["empty redirect_uris", { redirect_uris: [] }, "invalid_redirect_uri"],
    [
      "too many redirect_uris",
      { redirect_uris: Array.from({ length: MAX_REDIRECT_URIS + 1 }, (_, i) => `https://app.example/${i}`) },
      "invalid_redirect_uri",
    ],
    [
      "a refused redirect URI",
      { redirect_uris: ["https://ok.example/cb", "http://app.example/cb"] },
      "invalid_redirect_uri",
    ],
    ["unknown auth method", { ...minimal, token_endpoint_auth_method: "private_key_jwt" }, "invalid_client_metadata"],
    ["implicit grant", { ...minimal, grant_types: ["implicit"] }, "invalid_client_metadata"],
    ["without authorization_code", { ...minimal, grant_types: ["refresh_token"] }, "invalid_client_metadata"],
    ["token response type", { ...minimal, response_types: ["token"] }, "invalid_client_metadata"],
    ["unknown application type", { ...minimal, application_type: "spa" }, "invalid_client_metadata"],
    ["unsupported scope", { ...minimal, scope: "posts.write admin" }, "invalid_client_metadata"],
    ["malformed scope", { ...minimal, scope: 'posts"write' }, "invalid_client_metadata"],
    ["javascript: client_uri", { ...minimal, client_uri: "javascript:alert(1)" }, "invalid_client_metadata"],
    ["overlong client_name", { ...minimal, client_name: "x".repeat(257) }, "invalid_client_metadata"],
    ["contacts not strings", { ...minimal, contacts: [1] }, "invalid_client_metadata"],
  ])("%s → %s", (_name, body, code) => {
    expect(refusal(body).code).toBe(code);
  });

  test("the description names the field at fault", () => {
    expect(refusal({ ...minimal, grant_types: ["refresh_token"] }).description).toContain("grant_types");
    expect(refusal({ ...minimal, scope: "admin" }).description).toContain("admin");
  });
});

describe("clientRecordOf and registrationResponseOf", () => {
  const metadata = parseClientMetadata(
    {
      ...minimal,
      token_endpoint_auth_method: "client_secret_post",
      scope: "posts.write",
      client_name: "App",
      logo_uri: "https://app.example/logo.png",
    },
    policy,
  );

  /** A fresh secret, and the record of a client holding it until 200. */
  const confidential = () => {
    const { secret, hash } = generateClientSecret();
    const record = clientRecordOf(metadata, {
      clientId: "c1",
      issuedAt: 100,
      clientSecretHash: hash,
      clientSecretExpiresAt: 200,
    });
    return { secret, hash, record };
  };

  test("the record holds the hash, never the secret; the response holds the secret once", () => {
    const { secret, record } = confidential();
    expect(record).toEqual({
      clientId: "c1",
      clientSecretHash: hashOpaqueToken(secret),
      clientSecretExpiresAt: 200,
      clientName: "App",
      redirectUris: ["https://app.example/cb"],
      grantTypes: ["authorization_code"],
      responseTypes: ["code"],
      tokenEndpointAuthMethod: "client_secret_post",
      applicationType: "web",
      scopes: ["posts.write"],
      issuedAt: 100,
      metadata: { logo_uri: "https://app.example/logo.png" },
    });
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(registrationResponseOf(record, secret)).toEqual({
      client_id: "c1",
      client_id_issued_at: 100,
      client_secret: secret,
      client_secret_expires_at: 200,
      redirect_uris: ["https://app.example/cb"],
      token_endpoint_auth_method: "client_secret_post",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      application_type: "web",
      client_name: "App",
      scope: "posts.write",
      logo_uri: "https://app.example/logo.png",
    });
  });

  test("verifyClientSecret: the right secret only, until it expires; never for a public client", () => {
    const { secret, hash, record } = confidential();
    expect(verifyClientSecret(record, secret, 150)).toBe(true);
    expect(verifyClientSecret(record, `${secret}x`, 150)).toBe(false);
    expect(verifyClientSecret(record, hash, 150)).toBe(false);
    expect(verifyClientSecret(record, secret, 200)).toBe(false);
    const never = clientRecordOf(metadata, {
      clientId: "c2",
      issuedAt: 100,
      clientSecretHash: hash,
      clientSecretExpiresAt: 0,
    });
    expect(verifyClientSecret(never, secret, 10 ** 10)).toBe(true);
    const publicClient = clientRecordOf(
      { ...metadata, token_endpoint_auth_method: "none" },
      { clientId: "c3", issuedAt: 100 },
    );
    expect(publicClient.clientSecretHash).toBeUndefined();
    expect(verifyClientSecret(publicClient, "", 150)).toBe(false);
  });
});
