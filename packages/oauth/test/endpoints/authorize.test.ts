/**
 * `GET /oauth/authorize` over real HTTP: which errors are shown as a page
 * (client and redirect URI not established) and which are redirected (with
 * `error`, `state` and `iss`), the PKCE, scope and resource rules, and what
 * a valid request leads to (the consent page, with the request in the store).
 */
import { describe, expect, test } from "vitest";
import {
  authorizationUrl,
  authorize,
  exchangeCode,
  jwtPayload,
  newPkce,
  saveClient,
  TestBrowser,
  type TestClient,
  useClient,
} from "../helpers/oauth-flow.js";
import { useOAuthServer } from "../helpers/oauth-server.js";

const server = useOAuthServer();
const client = useClient(server);

/** GETs the authorization URL built from `params` (no redirects followed). */
async function startAt(target: TestClient, params: Parameters<typeof authorizationUrl>[2]) {
  return new TestBrowser().get(authorizationUrl(server, target, params));
}

/** Asserts an error page: HTML, the status, no redirect, and the error named on the page. */
function expectErrorPage(response: Awaited<ReturnType<TestBrowser["get"]>>, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(response.location).toBeUndefined();
  expect(response.headers.get("content-type")).toContain("text/html");
  expect(response.html).toContain(`<code>${error}</code>`);
}

/** Asserts an error redirect to the client's redirect URI, with `iss`. Returns its query. */
function expectErrorRedirect(response: Awaited<ReturnType<TestBrowser["get"]>>, redirectUri: string, error: string) {
  expect(response.status).toBe(302);
  const location = response.location as URL;
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  expect(location.searchParams.get("error")).toBe(error);
  expect(location.searchParams.get("iss")).toBe(server.origin);
  expect(location.searchParams.get("code")).toBeNull();
  return location.searchParams;
}

describe("before the redirect URI is trusted: an error page, never a redirect", () => {
  test("an unknown client_id", async () => {
    const response = await startAt({ ...client, clientId: "no-such-client" }, { pkce: newPkce() });
    expectErrorPage(response, 400, "invalid_request");
    expect(response.html).toContain("Unknown client_id");
  });

  test("no client_id", async () => {
    const response = await startAt(client, { pkce: newPkce(), extra: { client_id: null } });
    expectErrorPage(response, 400, "invalid_request");
  });

  test("a redirect URI the client did not register", async () => {
    const response = await startAt(client, { pkce: newPkce(), redirectUri: "https://evil.example/callback" });
    expectErrorPage(response, 400, "invalid_request");
    expect(response.html).toContain("redirect_uri is not one this client registered");
  });

  test("a registered URI with a different path or an added query is not registered", async () => {
    for (const redirectUri of [`${client.redirectUri}/x`, `${client.redirectUri}?a=1`]) {
      expectErrorPage(await startAt(client, { pkce: newPkce(), redirectUri }), 400, "invalid_request");
    }
  });

  test("no redirect_uri when the client registered more than one", async () => {
    const two = await saveClient(server, {
      redirectUris: ["http://127.0.0.1:5001/cb", "https://app.example/cb"],
    });
    const response = await startAt(two, { pkce: newPkce(), redirectUri: null });
    expectErrorPage(response, 400, "invalid_request");
  });

  test("a repeated client_id or redirect_uri", async () => {
    const url = authorizationUrl(server, client, { pkce: newPkce() });
    const repeatedClient = new URL(url);
    repeatedClient.searchParams.append("client_id", client.clientId);
    expectErrorPage(await new TestBrowser().get(repeatedClient), 400, "invalid_request");
    const repeatedRedirect = new URL(url);
    repeatedRedirect.searchParams.append("redirect_uri", client.redirectUri);
    expectErrorPage(await new TestBrowser().get(repeatedRedirect), 400, "invalid_request");
  });

  test("the error page is not cacheable and cannot be framed", async () => {
    const response = await startAt({ ...client, clientId: "no-such-client" }, { pkce: newPkce() });
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });
});

describe("the redirect URI", () => {
  test("may be omitted when the client registered exactly one", async () => {
    const response = await startAt(client, { pkce: newPkce(), redirectUri: null });
    expect(response.status).toBe(302);
    expect(response.location?.pathname).toBe("/oauth/consent");
  });

  test("a loopback redirect URI matches on any port, and the answer goes to the port asked for", async () => {
    const loopback = await saveClient(server, { redirectUris: ["http://127.0.0.1:6000/callback"] });
    const redirectUri = "http://127.0.0.1:6123/callback";
    const result = await authorize(server, loopback, { redirectUri });
    expect(result.redirect.origin).toBe("http://127.0.0.1:6123");
    expect(result.code).toBeDefined();
  });
});

describe("after the redirect URI is trusted: errors are redirected with error, state and iss", () => {
  test("a missing response_type → invalid_request", async () => {
    const response = await startAt(client, { pkce: newPkce(), state: "s1", extra: { response_type: null } });
    expect(expectErrorRedirect(response, client.redirectUri, "invalid_request").get("state")).toBe("s1");
  });

  test("response_type=token → unsupported_response_type", async () => {
    const response = await startAt(client, { pkce: newPkce(), state: "s2", extra: { response_type: "token" } });
    expect(expectErrorRedirect(response, client.redirectUri, "unsupported_response_type").get("state")).toBe("s2");
  });

  test("a client not registered for the authorization code grant → unauthorized_client", async () => {
    const refreshOnly = await saveClient(server, { grantTypes: ["refresh_token"] });
    const response = await startAt(refreshOnly, { pkce: newPkce() });
    expectErrorRedirect(response, refreshOnly.redirectUri, "unauthorized_client");
  });

  test("no code_challenge → invalid_request (PKCE is required)", async () => {
    const response = await startAt(client, { pkce: newPkce(), extra: { code_challenge: null } });
    const query = expectErrorRedirect(response, client.redirectUri, "invalid_request");
    expect(query.get("error_description")).toContain("code_challenge");
  });

  test("code_challenge_method=plain → invalid_request", async () => {
    const pkce = newPkce();
    const response = await startAt(client, {
      pkce,
      extra: { code_challenge: pkce.verifier, code_challenge_method: "plain" },
    });
    expect(expectErrorRedirect(response, client.redirectUri, "invalid_request").get("error_description")).toContain(
      "S256",
    );
  });

  test("no code_challenge_method (which means plain) → invalid_request", async () => {
    const response = await startAt(client, { pkce: newPkce(), extra: { code_challenge_method: null } });
    expectErrorRedirect(response, client.redirectUri, "invalid_request");
  });

  test("a code_challenge that cannot be an S256 challenge → invalid_request", async () => {
    const response = await startAt(client, { pkce: newPkce(), extra: { code_challenge: "short" } });
    expectErrorRedirect(response, client.redirectUri, "invalid_request");
  });

  test("a scope outside scopes_supported → invalid_scope", async () => {
    const response = await startAt(client, { pkce: newPkce(), scope: "posts.write admin", state: "s3" });
    expect(expectErrorRedirect(response, client.redirectUri, "invalid_scope").get("state")).toBe("s3");
  });

  test("a resource other than this server's MCP endpoint → invalid_target", async () => {
    const response = await startAt(client, { pkce: newPkce(), resource: "https://other.example/mcp", state: "s4" });
    expect(expectErrorRedirect(response, client.redirectUri, "invalid_target").get("state")).toBe("s4");
  });

  test("a repeated parameter → invalid_request, without a state when state itself is repeated", async () => {
    const url = authorizationUrl(server, client, { pkce: newPkce(), scope: "posts.write", state: "s5" });
    url.searchParams.append("scope", "profile.read");
    const query = expectErrorRedirect(await new TestBrowser().get(url), client.redirectUri, "invalid_request");
    expect(query.get("state")).toBe("s5");
    expect(query.get("error_description")).toContain("scope");

    const twoStates = authorizationUrl(server, client, { pkce: newPkce(), state: "a" });
    twoStates.searchParams.append("state", "b");
    const noState = expectErrorRedirect(await new TestBrowser().get(twoStates), client.redirectUri, "invalid_request");
    expect(noState.get("state")).toBeNull();
  });

  test("the redirect keeps the redirect URI's own query", async () => {
    const withQuery = await saveClient(server, { redirectUris: ["https://app.example/cb?tenant=7"] });
    const response = await startAt(withQuery, { pkce: newPkce(), extra: { response_type: "token" } });
    expect(response.location?.searchParams.get("tenant")).toBe("7");
    expect(response.location?.searchParams.get("error")).toBe("unsupported_response_type");
  });
});

describe("a valid request", () => {
  test("leads to the consent page; the request waits in the store, and nothing is redeemable upstream yet", async () => {
    const browser = new TestBrowser();
    const response = await browser.get(authorizationUrl(server, client, { pkce: newPkce(), scope: "posts.write" }));
    expect(response.status).toBe(302);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const consentUrl = response.location as URL;
    expect(consentUrl.origin + consentUrl.pathname).toBe(`${server.origin}/oauth/consent`);
    const requestId = consentUrl.searchParams.get("request") as string;
    const pending = await server.middleware.store.getPendingAuthorization(requestId);
    expect(pending).toMatchObject({ clientId: client.clientId, stage: "consent", scopes: ["posts.write"] });

    // The upstream state exists, but the callback refuses it until the user approves.
    const upstreamState = pending?.upstreamState as string;
    const early = await browser.get(`${server.origin}/oauth/callback?state=${upstreamState}&code=x`);
    expect(early.status).toBe(400);
    expect(early.location).toBeUndefined();
  });

  test("the client's state comes back unchanged with the code, with iss", async () => {
    const state = "opaque state/with+characters&=";
    const result = await authorize(server, client, { state });
    expect(result.state).toBe(state);
    expect(result.iss).toBe(server.origin);
    expect(result.code).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  });

  test("an omitted resource means this server's MCP endpoint; an explicit one is accepted", async () => {
    for (const resource of [undefined, server.mcpUrl]) {
      const result = await authorize(server, client, resource === undefined ? {} : { resource });
      const tokens = await exchangeCode(server, client, {
        code: result.code as string,
        verifier: result.pkce.verifier,
      });
      expect(jwtPayload(tokens.body?.access_token as string).aud).toBe(server.mcpUrl);
    }
  });

  test("a registered scope is a default, not a ceiling: the client may step up to more supported scopes", async () => {
    const limited = await saveClient(server, { scopes: ["profile.read"] });
    const first = await authorize(server, limited);
    expect(first.code).toBeDefined();
    const stepUp = await authorize(server, limited, { scope: "profile.read posts.write", browser: first.browser });
    // The wider request asks the user again, even in the browser that approved the narrower one.
    expect(stepUp.consentPage?.html).toContain("posts.write");
    const granted = await exchangeCode(server, limited, {
      code: stepUp.code as string,
      verifier: stepUp.pkce.verifier,
    });
    expect(granted.body?.scope).toBe("profile.read posts.write");
  });

  test("an omitted scope means the client's registered scopes, or none", async () => {
    const limited = await saveClient(server, { scopes: ["profile.read"] });
    const withScopes = await authorize(server, limited);
    const granted = await exchangeCode(server, limited, {
      code: withScopes.code as string,
      verifier: withScopes.pkce.verifier,
    });
    expect(granted.body?.scope).toBe("profile.read");

    const withoutScopes = await authorize(server, client);
    const none = await exchangeCode(server, client, {
      code: withoutScopes.code as string,
      verifier: withoutScopes.pkce.verifier,
    });
    expect(none.status).toBe(200);
    expect(none.body).not.toHaveProperty("scope");
  });
});
