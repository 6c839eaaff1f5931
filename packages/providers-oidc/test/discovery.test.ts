/**
 * Discovery: what a real issuer's document gives us, and each way it fails
 * (no answer, a 404, a redirect, a document of another issuer, one that is
 * not a discovery document), each a message naming the issuer, the URL and
 * the HTTP status.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../../oauth/test/helpers/free-port.js";
import { discoverOidcIssuer, discoveryUrl, OidcDiscoveryError } from "../src/index.js";
import { startTestIssuer, type TestIssuer } from "./issuer.js";
import { type RunningHttp, startHttp } from "./rogue-issuer.js";

async function failure(promise: Promise<unknown>): Promise<OidcDiscoveryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OidcDiscoveryError);
  return err as OidcDiscoveryError;
}

const local = { allowInsecureRequests: true };

describe("a real issuer", () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer({ redirectUris: ["http://127.0.0.1:47997/oauth/callback"] });
  });
  afterAll(() => issuer?.close());

  test("its document: issuer, endpoints, keys, and what it supports", async () => {
    const metadata = await discoverOidcIssuer(issuer.issuer, local);
    expect(metadata).toMatchObject({
      issuer: issuer.issuer,
      authorization_endpoint: `${issuer.origin}/auth`,
      token_endpoint: `${issuer.origin}/token`,
      userinfo_endpoint: `${issuer.origin}/me`,
      jwks_uri: `${issuer.origin}/jwks`,
      code_challenge_methods_supported: ["S256"],
    });
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post"]);
    expect(metadata.id_token_signing_alg_values_supported).toContain("RS256");
  });

  test("plain http is refused unless allowed", async () => {
    const err = await failure(discoverOidcIssuer(issuer.issuer));
    expect(err.reason).toBe("unreachable");
    expect(err.message).toContain(`GET ${issuer.origin}/.well-known/openid-configuration got no answer`);
  });

  test("a document that names another issuer is refused", async () => {
    const other = await startTestIssuer({
      redirectUris: ["http://127.0.0.1:47997/cb"],
      issuer: "https://other.example",
    });
    try {
      const err = await failure(discoverOidcIssuer(other.origin, local));
      expect(err.reason).toBe("issuer_mismatch");
      expect(err.status).toBe(200);
      expect(err.message).toBe(
        `OpenID Connect discovery for the issuer ${other.origin} failed: GET ${other.origin}/.well-known/openid-configuration ` +
          `answered with the metadata of another issuer: the document names https://other.example, not ${other.origin}/ (HTTP 200). ` +
          "Check OIDC_ISSUER: it must be the issuer identifier exactly as your identity provider publishes it " +
          "(the URL its /.well-known/openid-configuration is under).",
      );
    } finally {
      await other.close();
    }
  });
});

describe("failures", () => {
  let http: RunningHttp;
  const answers = new Map<string, { status: number; headers?: Record<string, string>; body?: string }>();
  beforeAll(async () => {
    http = await startHttp((req, res) => {
      const answer = answers.get(new URL(req.url ?? "/", "http://x").pathname) ?? { status: 404, body: "Not Found" };
      res.writeHead(answer.status, answer.headers ?? { "content-type": "text/plain" });
      res.end(answer.body ?? "");
    });
  });
  afterAll(() => http?.close());

  test("the discovery URL: the issuer's path, then /.well-known/openid-configuration", () => {
    expect(discoveryUrl("https://idp.example.com")).toBe("https://idp.example.com/.well-known/openid-configuration");
    expect(discoveryUrl("https://tenant.auth0.com/")).toBe("https://tenant.auth0.com/.well-known/openid-configuration");
    expect(discoveryUrl("https://kc.example.com/realms/acme")).toBe(
      "https://kc.example.com/realms/acme/.well-known/openid-configuration",
    );
  });

  test("HTTP 404 (a wrong issuer URL): the message names the issuer, the URL and the status", async () => {
    const issuer = `${http.origin}/realms/no-such-realm`;
    const err = await failure(discoverOidcIssuer(issuer, local));
    expect(err).toMatchObject({ reason: "http_status", status: 404, issuer });
    expect(err.message).toBe(
      `OpenID Connect discovery for the issuer ${issuer} failed: GET ${issuer}/.well-known/openid-configuration answered HTTP 404. ` +
        "Check OIDC_ISSUER: it must be the issuer identifier exactly as your identity provider publishes it " +
        "(the URL its /.well-known/openid-configuration is under).",
    );
  });

  test("a redirect is not followed, and the message says where it pointed", async () => {
    answers.set("/moved/.well-known/openid-configuration", {
      status: 301,
      headers: { location: "https://idp.example.com/moved/.well-known/openid-configuration" },
    });
    const err = await failure(discoverOidcIssuer(`${http.origin}/moved`, local));
    expect(err.status).toBe(301);
    expect(err.message).toContain(
      "answered HTTP 301, a redirect to https://idp.example.com/moved/.well-known/openid-configuration.",
    );
  });

  test("HTTP 500", async () => {
    answers.set("/down/.well-known/openid-configuration", { status: 503, body: "down for maintenance" });
    const err = await failure(discoverOidcIssuer(`${http.origin}/down`, local));
    expect(err).toMatchObject({ reason: "http_status", status: 503 });
    expect(err.message).toContain("answered HTTP 503.");
  });

  test("nobody listening: the network error", async () => {
    const issuer = `http://127.0.0.1:${await freePort()}`;
    const err = await failure(discoverOidcIssuer(issuer, local));
    expect(err).toMatchObject({ reason: "unreachable", status: undefined });
    expect(err.message).toContain(
      `GET ${issuer}/.well-known/openid-configuration got no answer (network error ECONNREFUSED)`,
    );
  });

  test("a 200 that is not JSON", async () => {
    answers.set("/html/.well-known/openid-configuration", {
      status: 200,
      headers: { "content-type": "text/html" },
      body: "<html>login</html>",
    });
    const err = await failure(discoverOidcIssuer(`${http.origin}/html`, local));
    expect(err.reason).toBe("not_metadata");
    expect(err.message).toContain("answered with no usable discovery document");
    expect(err.message).toContain("(HTTP 200)");
  });

  test("a document without a token endpoint", async () => {
    answers.set("/partial/.well-known/openid-configuration", {
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ issuer: `${http.origin}/partial`, authorization_endpoint: `${http.origin}/partial/auth` }),
    });
    const err = await failure(discoverOidcIssuer(`${http.origin}/partial`, local));
    expect(err.reason).toBe("not_metadata");
    expect(err.message).toContain("a discovery document that lacks token_endpoint (HTTP 200)");
  });
});
