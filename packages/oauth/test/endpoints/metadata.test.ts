import { describe, expect, test } from "vitest";
import { preflight } from "../helpers/oauth-flow.js";
import { useOAuthServer } from "../helpers/oauth-server.js";

const SCOPES = ["posts.write", "profile.read"];
const AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"];

/** The authorization server metadata we must serve for `issuer`, exactly. */
const expectedServerMetadata = (issuer: string) => ({
  issuer,
  authorization_endpoint: `${issuer}/oauth/authorize`,
  token_endpoint: `${issuer}/oauth/token`,
  registration_endpoint: `${issuer}/oauth/register`,
  revocation_endpoint: `${issuer}/oauth/revoke`,
  jwks_uri: `${issuer}/oauth/jwks`,
  scopes_supported: SCOPES,
  response_types_supported: ["code"],
  response_modes_supported: ["query"],
  grant_types_supported: ["authorization_code", "refresh_token"],
  token_endpoint_auth_methods_supported: AUTH_METHODS,
  revocation_endpoint_auth_methods_supported: AUTH_METHODS,
  code_challenge_methods_supported: ["S256"],
  authorization_response_iss_parameter_supported: true,
  client_id_metadata_document_supported: true,
});

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ res: Response; body: unknown }> {
  const res = await fetch(url, { headers });
  expect(res.status, url).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return { res, body: await res.json() };
}

describe("metadata: issuer without a path", () => {
  const s = useOAuthServer();

  test("RFC 8414 document: every field exact, S256 only, nothing OpenID-specific", async () => {
    const { res, body } = await getJson(`${s.origin}/.well-known/oauth-authorization-server`);
    expect(body).toEqual(expectedServerMetadata(s.origin));
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  test("the openid-configuration alias serves the same document", async () => {
    const { body } = await getJson(`${s.origin}/.well-known/openid-configuration`);
    expect(body).toEqual(expectedServerMetadata(s.origin));
    for (const oidcOnly of ["userinfo_endpoint", "id_token_signing_alg_values_supported", "subject_types_supported"]) {
      expect(body).not.toHaveProperty(oidcOnly);
    }
  });

  test("RFC 9728 document at the root and at the MCP endpoint's path", async () => {
    const expected = {
      resource: s.mcpUrl,
      authorization_servers: [s.origin],
      scopes_supported: SCOPES,
      bearer_methods_supported: ["header"],
    };
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const { res, body } = await getJson(`${s.origin}${path}`);
      expect(body, path).toEqual(expected);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
    }
  });

  test("the protected resource metadata URL the middleware advertises is served", async () => {
    const ctx = await s.middleware.ready;
    expect(ctx.urls.protectedResourceMetadata).toBe(`${s.origin}/.well-known/oauth-protected-resource/mcp`);
    const { body } = await getJson(ctx.urls.protectedResourceMetadata);
    expect(body).toMatchObject({ resource: s.mcpUrl });
  });

  test("no path-inserted forms when the issuer has no path", async () => {
    const res = await fetch(`${s.origin}/.well-known/oauth-authorization-server/tenant`);
    expect(res.status).toBe(404);
  });

  test("CORS: a cross-origin GET is readable from any origin", async () => {
    const { res } = await getJson(`${s.origin}/.well-known/oauth-protected-resource/mcp`, {
      origin: "http://localhost:6274",
    });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  test("CORS preflight: 204 with the methods and the headers the browser asked for", async () => {
    for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp"]) {
      const res = await preflight(`${s.origin}${path}`, "GET", {
        origin: "http://localhost:6274",
        "access-control-request-headers": "mcp-protocol-version",
      });
      expect(res.status, path).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-methods")).toBe("GET, HEAD, OPTIONS");
      expect(res.headers.get("access-control-allow-headers")).toBe("mcp-protocol-version");
      expect(Number(res.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    }
  });

  test("CORS preflight with a malformed header list falls back to the usual headers", async () => {
    const res = await preflight(`${s.origin}/.well-known/oauth-authorization-server`, "GET", {
      "access-control-request-headers": "x-a, (bad)",
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-headers")).toBe("Authorization, Content-Type, MCP-Protocol-Version");
  });

  test("HEAD answers without a body", async () => {
    const res = await fetch(`${s.origin}/.well-known/oauth-authorization-server`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  test("other methods: 405 with Allow", async () => {
    for (const path of [
      "/.well-known/oauth-authorization-server",
      "/.well-known/openid-configuration",
      "/.well-known/oauth-protected-resource",
      "/.well-known/oauth-protected-resource/mcp",
    ]) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        const res = await fetch(`${s.origin}${path}`, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      }
    }
  });
});

describe("metadata: issuer with a path", () => {
  // The documents depend on the configured issuer, not on the port we listen on:
  // a fixed issuer (as behind a proxy that maps it to this server) keeps the test simple.
  const issuer = "http://127.0.0.1:9/tenant";
  const s = useOAuthServer({
    middleware: { oauthServerUrl: issuer, serviceDocumentation: "https://docs.example/oauth" },
  });

  test("path-inserted, path-appended and plain forms all serve the document for the issuer", async () => {
    const expected = { ...expectedServerMetadata(issuer), service_documentation: "https://docs.example/oauth" };
    for (const path of [
      "/.well-known/oauth-authorization-server/tenant",
      "/.well-known/openid-configuration/tenant",
      "/tenant/.well-known/openid-configuration",
      "/.well-known/oauth-authorization-server",
      "/.well-known/openid-configuration",
    ]) {
      const { body } = await getJson(`${s.origin}${path}`);
      expect(body, path).toEqual(expected);
    }
  });

  test("protected resource metadata: the resource is under the issuer's path", async () => {
    const expected = {
      resource: `${issuer}/mcp`,
      authorization_servers: [issuer],
      scopes_supported: SCOPES,
      bearer_methods_supported: ["header"],
      resource_documentation: "https://docs.example/oauth",
    };
    for (const path of [
      "/.well-known/oauth-protected-resource/tenant/mcp",
      "/.well-known/oauth-protected-resource/mcp",
      "/.well-known/oauth-protected-resource",
    ]) {
      const { body } = await getJson(`${s.origin}${path}`);
      expect(body, path).toEqual(expected);
    }
  });

  test("path-inserted forms answer the preflight and refuse other methods too", async () => {
    const answer = await preflight(`${s.origin}/.well-known/oauth-authorization-server/tenant`, "GET");
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    const post = await fetch(`${s.origin}/.well-known/oauth-protected-resource/tenant/mcp`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });
});
