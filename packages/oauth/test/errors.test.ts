import { describe, expect, test } from "vitest";
import {
  AuthorizationEndpointError,
  authorizationErrorRedirect,
  bearerChallenge,
  insufficientScope,
  invalidToken,
  missingBearerToken,
  oauthErrorResponse,
  RegistrationError,
  ResourceServerError,
  TokenEndpointError,
  type TokenErrorCode,
} from "../src/errors.js";

const RESOURCE_METADATA = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

describe("token endpoint errors (RFC 6749 §5.2, RFC 7009, RFC 8707)", () => {
  test.each<[TokenErrorCode, number]>([
    ["invalid_request", 400],
    ["invalid_grant", 400],
    ["unauthorized_client", 400],
    ["unsupported_grant_type", 400],
    ["invalid_scope", 400],
    ["invalid_target", 400],
    ["unsupported_token_type", 400],
    ["invalid_client", 401],
  ])("%s → %i, JSON body, no-store", (code, status) => {
    const response = oauthErrorResponse(new TokenEndpointError(code, "Something specific"));
    expect(response).toEqual({
      status,
      headers: { "cache-control": "no-store" },
      body: { error: code, error_description: "Something specific" },
    });
  });

  test("invalid_client after an attempted Basic authentication → 401 with a Basic challenge", () => {
    const response = oauthErrorResponse(
      new TokenEndpointError("invalid_client", "Client authentication failed", { basicAuthAttempted: true }),
    );
    expect(response.status).toBe(401);
    expect(response.headers).toEqual({
      "cache-control": "no-store",
      "www-authenticate": 'Basic realm="oauth", charset="UTF-8"',
    });
    expect(response.body).toEqual({ error: "invalid_client", error_description: "Client authentication failed" });
  });

  test("a Basic attempt does not add a challenge to other errors", () => {
    const response = oauthErrorResponse(
      new TokenEndpointError("invalid_grant", undefined, { basicAuthAttempted: true }),
    );
    expect(response).toEqual({
      status: 400,
      headers: { "cache-control": "no-store" },
      body: { error: "invalid_grant" },
    });
  });
});

describe("resource server errors (RFC 6750 §3, RFC 9728 §5.1)", () => {
  test("no credentials → 401, a challenge without error, no body", () => {
    const response = oauthErrorResponse(missingBearerToken(["profile.read"]), { resourceMetadata: RESOURCE_METADATA });
    expect(response).toEqual({
      status: 401,
      headers: {
        "cache-control": "no-store",
        "www-authenticate": `Bearer resource_metadata="${RESOURCE_METADATA}", scope="profile.read"`,
      },
      body: undefined,
    });
  });

  test("no credentials and no scope hint → only resource_metadata", () => {
    const response = oauthErrorResponse(missingBearerToken(), { resourceMetadata: RESOURCE_METADATA });
    expect(response.headers["www-authenticate"]).toBe(`Bearer resource_metadata="${RESOURCE_METADATA}"`);
  });

  test("invalid_token → 401 naming the error and its description", () => {
    const error = invalidToken("exp", "The access token has expired");
    expect(error.check).toBe("exp");
    const response = oauthErrorResponse(error, { resourceMetadata: RESOURCE_METADATA });
    expect(response).toEqual({
      status: 401,
      headers: {
        "cache-control": "no-store",
        "www-authenticate": `Bearer resource_metadata="${RESOURCE_METADATA}", error="invalid_token", error_description="The access token has expired"`,
      },
      body: { error: "invalid_token", error_description: "The access token has expired" },
    });
  });

  test("insufficient_scope → 403 naming every scope needed", () => {
    const response = oauthErrorResponse(insufficientScope(["posts.write", "profile.read"]), {
      resourceMetadata: RESOURCE_METADATA,
    });
    expect(response.status).toBe(403);
    expect(response.headers["www-authenticate"]).toBe(
      `Bearer resource_metadata="${RESOURCE_METADATA}", scope="posts.write profile.read", error="insufficient_scope", error_description="Requires scope: posts.write profile.read"`,
    );
    expect(response.body).toEqual({
      error: "insufficient_scope",
      error_description: "Requires scope: posts.write profile.read",
    });
  });

  test("invalid_request → 400 with a Bearer challenge", () => {
    const response = oauthErrorResponse(new ResourceServerError("invalid_request", "Two tokens were sent"));
    expect(response.status).toBe(400);
    expect(response.headers["www-authenticate"]).toBe(
      'Bearer error="invalid_request", error_description="Two tokens were sent"',
    );
  });

  test("bearerChallenge: attribute order, omissions, and nothing at all", () => {
    expect(bearerChallenge({})).toBe("Bearer");
    expect(bearerChallenge({ scope: [] })).toBe("Bearer");
    expect(bearerChallenge({ errorDescription: "ignored without an error" })).toBe("Bearer");
    expect(bearerChallenge({ resourceMetadata: "https://a/b", scope: ["x", "y"], error: "invalid_token" })).toBe(
      'Bearer resource_metadata="https://a/b", scope="x y", error="invalid_token"',
    );
  });

  test("bearerChallenge: quotes, backslashes and line breaks cannot break out of a quoted-string", () => {
    const challenge = bearerChallenge({
      resourceMetadata: 'https://a/"b\\c\r\nSet-Cookie: x=1',
      error: "invalid_token",
      errorDescription: 'bad "thing"\r\nX-Injected: 1',
    });
    expect(challenge).toBe(
      'Bearer resource_metadata="https://a/\\"b\\\\cSet-Cookie: x=1", error="invalid_token", error_description="bad \'thing\'  X-Injected: 1"',
    );
    expect(challenge).not.toMatch(/[\r\n]/);
  });
});

describe("registration and authorization endpoint errors", () => {
  test.each(["invalid_redirect_uri", "invalid_client_metadata"] as const)("%s → 400 JSON", (code) => {
    expect(oauthErrorResponse(new RegistrationError(code, "redirect_uris[0] must use https"))).toEqual({
      status: 400,
      headers: { "cache-control": "no-store" },
      body: { error: code, error_description: "redirect_uris[0] must use https" },
    });
  });

  test("an authorization error that cannot be redirected → its status for the error page", () => {
    expect(oauthErrorResponse(new AuthorizationEndpointError("invalid_request", "Unknown client_id"))).toEqual({
      status: 400,
      headers: { "cache-control": "no-store" },
      body: { error: "invalid_request", error_description: "Unknown client_id" },
    });
    expect(oauthErrorResponse(new AuthorizationEndpointError("temporarily_unavailable")).status).toBe(503);
  });

  test("the redirect carries error, error_description, state and iss, keeping the URI's own query", () => {
    const location = authorizationErrorRedirect(
      new AuthorizationEndpointError("access_denied", "The user denied the request"),
      "http://127.0.0.1:33418/callback?session=abc",
      { state: "xyz 1&2", issuer: "https://auth.example.com" },
    );
    const url = new URL(location);
    expect(url.origin + url.pathname).toBe("http://127.0.0.1:33418/callback");
    expect([...url.searchParams]).toEqual([
      ["session", "abc"],
      ["error", "access_denied"],
      ["error_description", "The user denied the request"],
      ["state", "xyz 1&2"],
      ["iss", "https://auth.example.com"],
    ]);
  });

  test("no state → no state parameter; an unknown error → server_error without internals", () => {
    const location = authorizationErrorRedirect(new Error("db password is hunter2"), "https://client.example/cb", {
      issuer: "https://auth.example.com",
    });
    const url = new URL(location);
    expect(url.searchParams.get("error")).toBe("server_error");
    expect(url.searchParams.has("state")).toBe(false);
    expect(location).not.toContain("hunter2");
  });
});

describe("anything else thrown", () => {
  test.each([
    ["an Error", new Error("connect ECONNREFUSED 10.0.0.7:6379")],
    ["a string", "secret-refresh-token-value"],
    ["undefined", undefined],
    ["an object", { stack: "at TokenStore.consume" }],
  ])("%s → server_error 500 with a generic description", (_name, thrown) => {
    const response = oauthErrorResponse(thrown);
    expect(response).toEqual({
      status: 500,
      headers: { "cache-control": "no-store" },
      body: { error: "server_error", error_description: "The server encountered an unexpected error" },
    });
  });
});

describe("descriptions", () => {
  test("characters RFC 6749 forbids in error_description are replaced", () => {
    const error = new TokenEndpointError("invalid_request", 'Bad "redirect_uri"\\ — café\n');
    expect(error.description).toBe("Bad 'redirect_uri'/   caf  ");
    expect(error.message).toBe("invalid_request: Bad 'redirect_uri'/   caf  ");
    expect(error.name).toBe("TokenEndpointError");
  });

  test("every error type is an OAuthError and an Error", async () => {
    const { OAuthError } = await import("../src/errors.js");
    for (const error of [
      new TokenEndpointError("invalid_grant"),
      new AuthorizationEndpointError("access_denied"),
      new ResourceServerError("invalid_token"),
      new RegistrationError("invalid_client_metadata"),
    ]) {
      expect(error).toBeInstanceOf(OAuthError);
      expect(error).toBeInstanceOf(Error);
    }
  });
});
