/**
 * `POST /oauth/token` over real HTTP: request format (form-encoded only, no
 * repeated parameters), grant types, headers on every answer (no-store,
 * CORS), client authentication exactly as registered, and `expires_in`.
 */
import { describe, expect, test } from "vitest";
import {
  authorize,
  exchangeCode,
  jwtPayload,
  obtainTokens,
  preflight,
  saveClient,
  type TestClient,
  tokenRequest,
  useClient,
} from "../helpers/oauth-flow.js";
import { useOAuthServer, withOAuthServer } from "../helpers/oauth-server.js";

const server = useOAuthServer();
const publicClient = useClient(server);

/** A code for `client` and its verifier. */
async function codeFor(client: TestClient): Promise<{ code: string; verifier: string }> {
  const result = await authorize(server, client);
  return { code: result.code as string, verifier: result.pkce.verifier };
}

function expectNoStore(headers: Headers) {
  expect(headers.get("cache-control")).toBe("no-store");
  expect(headers.get("pragma")).toBe("no-cache");
}

describe("request format", () => {
  test("a JSON body → invalid_request", async () => {
    const response = await tokenRequest(
      server,
      publicClient,
      {},
      {
        headers: { "content-type": "application/json" },
        rawBody: JSON.stringify({ grant_type: "refresh_token", refresh_token: "x", client_id: publicClient.clientId }),
      },
    );
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("invalid_request");
    expectNoStore(response.headers);
  });

  test("a text/plain or missing content type → invalid_request", async () => {
    for (const type of ["text/plain", "application/octet-stream"]) {
      const response = await tokenRequest(
        server,
        publicClient,
        { grant_type: "refresh_token" },
        {
          headers: { "content-type": type },
        },
      );
      expect(response.status).toBe(400);
      expect(response.body?.error).toBe("invalid_request");
    }
  });

  test("a repeated parameter → invalid_request", async () => {
    const body = `grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id=${publicClient.clientId}`;
    const response = await tokenRequest(server, publicClient, {}, { rawBody: body });
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("invalid_request");
    expect(response.body?.error_description).toContain("refresh_token");
  });

  test("a form with a charset parameter is fine", async () => {
    const { code, verifier } = await codeFor(publicClient);
    const response = await exchangeCode(
      server,
      publicClient,
      { code, verifier },
      {
        headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
      },
    );
    expect(response.status).toBe(200);
  });
});

describe("grant types", () => {
  test("no grant_type → invalid_request", async () => {
    const response = await tokenRequest(server, publicClient, {});
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("invalid_request");
  });

  test("password, client_credentials, implicit-style and made-up grants → unsupported_grant_type", async () => {
    for (const grant of ["password", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code", "x"]) {
      const response = await tokenRequest(server, publicClient, { grant_type: grant });
      expect(response.status).toBe(400);
      expect(response.body?.error).toBe("unsupported_grant_type");
    }
  });
});

describe("headers", () => {
  test("success: no-store, Pragma no-cache, CORS for any origin without credentials, JSON", async () => {
    const { code, verifier } = await codeFor(publicClient);
    const response = await exchangeCode(
      server,
      publicClient,
      { code, verifier },
      {
        headers: { origin: "https://inspector.example" },
      },
    );
    expect(response.status).toBe(200);
    expectNoStore(response.headers);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("content-type")).toContain("application/json");
  });

  test("errors carry no-store and CORS too", async () => {
    const response = await tokenRequest(server, publicClient, { grant_type: "password" });
    expectNoStore(response.headers);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  test("the CORS preflight is answered", async () => {
    const response = await preflight(`${server.origin}/oauth/token`, "POST", {
      origin: "https://inspector.example",
      "access-control-request-headers": "content-type, authorization",
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
  });
});

describe("client authentication as registered", () => {
  test("none: client_id in the body, no secret", async () => {
    const { code, verifier } = await codeFor(publicClient);
    expect((await exchangeCode(server, publicClient, { code, verifier })).status).toBe(200);
  });

  test("client_secret_basic: form-urlencoded id and secret in Authorization: Basic", async () => {
    const client = await saveClient(server, { authMethod: "client_secret_basic", clientId: "basic id:with+chars%" });
    const { code, verifier } = await codeFor(client);
    const response = await exchangeCode(server, client, { code, verifier });
    expect(response.status).toBe(200);
    expect(jwtPayload(response.body?.access_token as string).client_id).toBe("basic id:with+chars%");
  });

  test("client_secret_post: id and secret in the body", async () => {
    const client = await saveClient(server, { authMethod: "client_secret_post" });
    const { code, verifier } = await codeFor(client);
    expect((await exchangeCode(server, client, { code, verifier })).status).toBe(200);
  });

  test("a wrong secret with Basic → 401 invalid_client with a Basic challenge", async () => {
    const client = await saveClient(server, { authMethod: "client_secret_basic" });
    const response = await tokenRequest(
      server,
      client,
      { grant_type: "refresh_token", refresh_token: "x" },
      {
        auth: { method: "client_secret_basic", secret: "wrong" },
      },
    );
    expect(response.status).toBe(401);
    expect(response.body?.error).toBe("invalid_client");
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic /);
    expectNoStore(response.headers);
  });

  test("a wrong secret in the body → 401 invalid_client without a Basic challenge", async () => {
    const client = await saveClient(server, { authMethod: "client_secret_post" });
    const response = await tokenRequest(
      server,
      client,
      { grant_type: "refresh_token", refresh_token: "x" },
      {
        auth: { method: "client_secret_post", secret: "wrong" },
      },
    );
    expect(response.status).toBe(401);
    expect(response.body?.error).toBe("invalid_client");
    expect(response.headers.get("www-authenticate")).toBeNull();
  });

  test("the right secret by another method than the registered one → 401 invalid_client", async () => {
    const basicClient = await saveClient(server, { authMethod: "client_secret_basic" });
    const { code, verifier } = await codeFor(basicClient);
    const viaPost = await exchangeCode(
      server,
      basicClient,
      { code, verifier },
      { auth: { method: "client_secret_post" } },
    );
    expect(viaPost.status).toBe(401);
    expect(viaPost.body?.error).toBe("invalid_client");

    const postClient = await saveClient(server, { authMethod: "client_secret_post" });
    const viaBasic = await tokenRequest(
      server,
      postClient,
      { grant_type: "refresh_token", refresh_token: "x" },
      {
        auth: { method: "client_secret_basic" },
      },
    );
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.headers.get("www-authenticate")).toMatch(/^Basic /);

    const noSecret = await tokenRequest(
      server,
      postClient,
      { grant_type: "refresh_token", refresh_token: "x" },
      {
        auth: { method: "none" },
      },
    );
    expect(noSecret.status).toBe(401);
  });

  test("a public client presenting a secret → 401 invalid_client", async () => {
    for (const method of ["client_secret_post", "client_secret_basic"] as const) {
      const response = await tokenRequest(
        server,
        publicClient,
        { grant_type: "refresh_token", refresh_token: "x" },
        {
          auth: { method, secret: "anything" },
        },
      );
      expect(response.status).toBe(401);
      expect(response.body?.error).toBe("invalid_client");
    }
  });

  test("an unknown client, or no client_id at all → 401 invalid_client", async () => {
    const unknown = await tokenRequest(
      server,
      { ...publicClient, clientId: "nobody" },
      { grant_type: "refresh_token", refresh_token: "x" },
    );
    expect(unknown.status).toBe(401);
    const anonymous = await fetch(`${server.origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&refresh_token=x",
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toBe("invalid_client");
  });

  test("an expired client secret → 401 invalid_client", async () => {
    const client = await saveClient(server, { authMethod: "client_secret_post" });
    await server.middleware.store.saveClient({
      ...client.record,
      clientSecretExpiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const response = await tokenRequest(server, client, { grant_type: "refresh_token", refresh_token: "x" });
    expect(response.status).toBe(401);
  });

  test("Basic and a body secret together → invalid_request", async () => {
    const client = await saveClient(server, { authMethod: "client_secret_basic" });
    const response = await tokenRequest(
      server,
      client,
      { grant_type: "refresh_token", refresh_token: "x", client_secret: client.clientSecret as string },
      { auth: { method: "client_secret_basic" } },
    );
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("invalid_request");
  });

  test("a malformed Basic header or another scheme → 401 invalid_client", async () => {
    for (const authorization of ["Basic !!!", "Basic Zm9v", "Bearer abc"]) {
      const response = await fetch(`${server.origin}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization },
        body: "grant_type=refresh_token&refresh_token=x",
      });
      expect(response.status).toBe(401);
    }
  });
});

describe("expires_in", () => {
  test("equals the configured access-token lifetime, as do the token's exp - iat", async () => {
    await withOAuthServer({ middleware: { accessTokenTtl: 1234 } }, async (custom) => {
      const { tokens } = await obtainTokens(custom);
      expect(tokens.expires_in).toBe(1234);
      const claims = jwtPayload(tokens.access_token);
      expect((claims.exp as number) - (claims.iat as number)).toBe(1234);
    });
  });

  test("defaults to 900 seconds", async () => {
    const { tokens } = await obtainTokens(server);
    expect(tokens.expires_in).toBe(900);
    expect(tokens.token_type).toBe("Bearer");
  });
});

describe("what fastify refuses before the handler", () => {
  test("a body over the form limit → 400 invalid_request, still no-store", async () => {
    const response = await tokenRequest(
      server,
      publicClient,
      {},
      { rawBody: `grant_type=x&pad=${"a".repeat(70_000)}` },
    );
    expect(response.status).toBe(400);
    expect(response.body?.error).toBe("invalid_request");
    expectNoStore(response.headers);
  });
});
