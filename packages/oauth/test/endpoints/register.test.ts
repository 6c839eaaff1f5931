import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, test } from "vitest";
import { isRegisteredRedirectUri } from "../../src/clients/redirect-uris.js";
import { verifyClientSecret } from "../../src/clients/secret.js";
import { hashOpaqueToken } from "../../src/tokens/opaque.js";
import { capturingLogger } from "../helpers/mcp-requests.js";
import { preflight } from "../helpers/oauth-flow.js";
import { useOAuthServer, withOAuthServer } from "../helpers/oauth-server.js";

const REGISTRATION_TTL = 3600;

type Json = Record<string, unknown>;

describe("POST /oauth/register", () => {
  const s = useOAuthServer({ middleware: { clientRegistrationTtl: REGISTRATION_TTL } });
  let url: string;

  beforeAll(() => {
    url = `${s.origin}/oauth/register`;
  });

  const register = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  test("a public client: 201, no secret, every registered value echoed, stored as registered", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await register({
      redirect_uris: ["http://127.0.0.1/callback", "http://localhost:6274/oauth/callback"],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      client_name: "Test Client",
      client_uri: "https://client.example",
      scope: "posts.write",
      software_id: "test-client",
      software_version: "1.2.3",
      unknown_member: "ignored",
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as Json;
    expect(body).toEqual({
      client_id: expect.any(String),
      client_id_issued_at: expect.any(Number),
      redirect_uris: ["http://127.0.0.1/callback", "http://localhost:6274/oauth/callback"],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      application_type: "web",
      client_name: "Test Client",
      client_uri: "https://client.example",
      scope: "posts.write",
      software_id: "test-client",
      software_version: "1.2.3",
    });
    expect(body.client_id_issued_at as number).toBeGreaterThanOrEqual(before);
    expect(body.client_id_issued_at as number).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));

    const record = await s.middleware.store.getClient(body.client_id as string);
    expect(record).toMatchObject({
      clientId: body.client_id,
      tokenEndpointAuthMethod: "none",
      clientName: "Test Client",
      scopes: ["posts.write"],
    });
    expect(record?.clientSecretHash).toBeUndefined();
    // What the authorization endpoint will check: loopback any port, otherwise exact.
    expect(isRegisteredRedirectUri(record!, "http://127.0.0.1:51234/callback")).toBe(true);
    expect(isRegisteredRedirectUri(record!, "http://localhost:9999/oauth/callback")).toBe(true);
    expect(isRegisteredRedirectUri(record!, "http://127.0.0.1:51234/other")).toBe(false);
  });

  test("a confidential client by default (client_secret_basic): the secret is returned once and stored only as a hash", async () => {
    const res = await register({ redirect_uris: ["https://client.example/cb"] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Json;
    expect(body.token_endpoint_auth_method).toBe("client_secret_basic");
    expect(body.grant_types).toEqual(["authorization_code"]);
    expect(body.response_types).toEqual(["code"]);
    const secret = body.client_secret as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The secret dies with the registration, and the response says when.
    expect(body.client_secret_expires_at).toBe((body.client_id_issued_at as number) + REGISTRATION_TTL);

    const record = await s.middleware.store.getClient(body.client_id as string);
    expect(record).toBeDefined();
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(record?.clientSecretHash).toBe(hashOpaqueToken(secret));
    expect(verifyClientSecret(record!, secret)).toBe(true);
    expect(verifyClientSecret(record!, `${secret.slice(0, -1)}x`)).toBe(false);
  });

  test("client_secret_post and native clients with a private-use scheme", async () => {
    const res = await register({
      redirect_uris: ["com.example.app:/oauth2redirect"],
      application_type: "native",
      token_endpoint_auth_method: "client_secret_post",
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({ application_type: "native", token_endpoint_auth_method: "client_secret_post" });
    expect(typeof body.client_secret).toBe("string");
  });

  test("every registration gets its own client id and secret", async () => {
    const bodies = await Promise.all(
      [1, 2, 3].map(
        async () => (await (await register({ redirect_uris: ["https://client.example/cb"] })).json()) as Json,
      ),
    );
    expect(new Set(bodies.map((b) => b.client_id)).size).toBe(3);
    expect(new Set(bodies.map((b) => b.client_secret)).size).toBe(3);
  });

  test.each([
    ["a fragment", { redirect_uris: ["https://client.example/cb#x"] }, "invalid_redirect_uri"],
    ["http on a non-loopback host", { redirect_uris: ["http://client.example/cb"] }, "invalid_redirect_uri"],
    ["javascript:", { redirect_uris: ["javascript:alert(document.cookie)"] }, "invalid_redirect_uri"],
    ["data:", { redirect_uris: ["data:text/html,<script>alert(1)</script>"] }, "invalid_redirect_uri"],
    ["a private-use scheme for a web client", { redirect_uris: ["com.example.app:/cb"] }, "invalid_redirect_uri"],
    ["a relative URI", { redirect_uris: ["/cb"] }, "invalid_redirect_uri"],
    ["missing redirect_uris", { client_name: "x" }, "invalid_redirect_uri"],
    ["empty redirect_uris", { redirect_uris: [] }, "invalid_redirect_uri"],
    [
      "21 redirect URIs",
      { redirect_uris: Array.from({ length: 21 }, (_, i) => `https://client.example/${i}`) },
      "invalid_redirect_uri",
    ],
    [
      "an overlong redirect URI",
      { redirect_uris: [`https://client.example/${"a".repeat(2100)}`] },
      "invalid_redirect_uri",
    ],
    [
      "the implicit grant",
      { redirect_uris: ["https://c.example/cb"], grant_types: ["implicit"] },
      "invalid_client_metadata",
    ],
    [
      "grant types without authorization_code",
      { redirect_uris: ["https://c.example/cb"], grant_types: ["refresh_token"] },
      "invalid_client_metadata",
    ],
    [
      "client_credentials",
      { redirect_uris: ["https://c.example/cb"], grant_types: ["authorization_code", "client_credentials"] },
      "invalid_client_metadata",
    ],
    [
      "response type token",
      { redirect_uris: ["https://c.example/cb"], response_types: ["token"] },
      "invalid_client_metadata",
    ],
    [
      "an unknown auth method",
      { redirect_uris: ["https://c.example/cb"], token_endpoint_auth_method: "private_key_jwt" },
      "invalid_client_metadata",
    ],
    [
      "a scope we do not support",
      { redirect_uris: ["https://c.example/cb"], scope: "posts.write admin" },
      "invalid_client_metadata",
    ],
    [
      "a javascript: logo_uri",
      { redirect_uris: ["https://c.example/cb"], logo_uri: "javascript:x" },
      "invalid_client_metadata",
    ],
    [
      "an unknown application_type",
      { redirect_uris: ["https://c.example/cb"], application_type: "tv" },
      "invalid_client_metadata",
    ],
    ["a JSON array", [{ redirect_uris: ["https://c.example/cb"] }], "invalid_client_metadata"],
    ["JSON null", "null", "invalid_client_metadata"],
    ["malformed JSON", '{"redirect_uris": [', "invalid_client_metadata"],
    ["a __proto__ member", '{"redirect_uris":["https://c.example/cb"],"__proto__":{"x":1}}', "invalid_client_metadata"],
  ])("refuses %s: 400 %s", async (_name, body, code) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const error = (await res.json()) as Json;
    expect(error.error).toBe(code);
    expect(typeof error.error_description).toBe("string");
  });

  test("an empty JSON body: 400 invalid_client_metadata", async () => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toBe("invalid_client_metadata");
  });

  test("a body over 16 KiB: 413 invalid_client_metadata, before any parsing", async () => {
    const res = await register({ redirect_uris: ["https://c.example/cb"], client_name: "x".repeat(17 * 1024) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Json).error).toBe("invalid_client_metadata");
  });

  test.each([
    ["a form body", "application/x-www-form-urlencoded", "redirect_uris=https%3A%2F%2Fc.example%2Fcb"],
    ["plain text", "text/plain", '{"redirect_uris":["https://c.example/cb"]}'],
    ["JSON-like but not JSON", "application/jsonx", '{"redirect_uris":["https://c.example/cb"]}'],
  ])("refuses %s: 415", async (_name, type, body) => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": type }, body });
    expect(res.status).toBe(415);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(((await res.json()) as Json).error).toBe("invalid_client_metadata");
  });

  test("no content type at all: 415", async () => {
    const res = await fetch(url, { method: "POST", body: new Uint8Array([123, 125]) });
    expect(res.status).toBe(415);
  });

  test("JSON with a charset parameter is JSON", async () => {
    const res = await register(
      { redirect_uris: ["https://c.example/cb"] },
      { "content-type": "application/json; charset=utf-8" },
    );
    expect(res.status).toBe(201);
  });

  test("CORS preflight for a browser-based client, and 405 for other methods", async () => {
    const answer = await preflight(url, "POST", {
      origin: "http://localhost:6274",
      "access-control-request-headers": "content-type",
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(answer.headers.get("access-control-allow-methods")).toBe("POST, OPTIONS");
    expect(answer.headers.get("access-control-allow-headers")).toBe("content-type");
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await fetch(url, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("POST, OPTIONS");
    }
  });
});

describe("registration TTL", () => {
  test("a registration expires after OAUTH_CLIENT_REGISTRATION_TTL", async () => {
    await withOAuthServer({ middleware: { clientRegistrationTtl: 1 } }, async (s) => {
      const res = await fetch(`${s.origin}/oauth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: ["https://c.example/cb"], token_endpoint_auth_method: "none" }),
      });
      const { client_id } = (await res.json()) as { client_id: string };
      expect(await s.middleware.store.getClient(client_id)).toBeDefined();
      await sleep(1100);
      expect(await s.middleware.store.getClient(client_id)).toBeUndefined();
    });
  });
});

describe("registration logs", () => {
  test("a registration is logged by client id, never with its secret", async () => {
    const captured = capturingLogger();
    await withOAuthServer({ logger: captured.logger }, async (s) => {
      const res = await fetch(`${s.origin}/oauth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: ["https://c.example/cb"], client_name: "Logged" }),
      });
      const { client_id, client_secret } = (await res.json()) as { client_id: string; client_secret: string };
      const logs = captured.text();
      expect(logs).toContain("registered OAuth client");
      expect(logs).toContain(client_id);
      expect(logs).not.toContain(client_secret);
      expect(logs).not.toContain(hashOpaqueToken(client_secret));
    });
  });
});
