/**
 * The whole flow over real HTTP, as a client and a person would go through
 * it: registration, authorize, consent, development login, callback, code,
 * token, a protected tool, refresh. Plus what holds across it: `iss` on
 * every redirect to the client, and no secret in the logs.
 */
import { describe, expect, test } from "vitest";
import { capturingLogger, modernPost } from "../helpers/mcp-requests.js";
import {
  authorizationUrl,
  authorize,
  exchangeCode,
  type HtmlForm,
  jwtPayload,
  newPkce,
  obtainTokens,
  parseForms,
  refresh,
  registerClient,
  revoke,
  saveClient,
  TestBrowser,
  type Tokens,
} from "../helpers/oauth-flow.js";
import { useOAuthServer } from "../helpers/oauth-server.js";

const logs = capturingLogger();
const server = useOAuthServer({ logger: logs.logger });

describe("the happy path", () => {
  test("register → authorize → consent → login → callback → code → token → protected tool → refresh", async () => {
    const client = await registerClient(server, {
      client_name: "Flow Client",
      redirect_uris: ["http://127.0.0.1:45678/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "client_secret_basic",
    });
    expect(client.clientSecret).toBeDefined();

    const authorization = await authorize(server, client, { scope: "posts.write", state: "flow", username: "lin" });
    expect(authorization.responses.map((r) => `${r.status} ${r.url.pathname}`)).toEqual([
      "302 /oauth/authorize",
      "200 /oauth/consent",
      "302 /oauth/consent",
      "200 /dev-idp/authorize",
      "302 /dev-idp/authorize",
      "302 /oauth/callback",
    ]);
    expect(authorization.consentPage?.html).toContain("Flow Client");
    expect(authorization).toMatchObject({ state: "flow", iss: server.origin, loggedIn: true });

    const exchanged = await exchangeCode(server, client, {
      code: authorization.code as string,
      verifier: authorization.pkce.verifier,
    });
    expect(exchanged.status).toBe(200);
    const tokens = exchanged.body as unknown as Tokens;
    expect(jwtPayload(tokens.access_token)).toMatchObject({ sub: "dev:lin", aud: server.mcpUrl, scope: "posts.write" });

    const whoami = await modernPost(
      server.mcpUrl,
      "tools/call",
      { name: "whoami", arguments: {} },
      {
        token: tokens.access_token,
      },
    );
    expect(whoami.status).toBe(200);
    expect(JSON.stringify(whoami.body)).toContain("dev:lin");

    const refreshed = await refresh(server, client, tokens.refresh_token as string);
    expect(refreshed.status).toBe(200);
    const published = await modernPost(
      server.mcpUrl,
      "tools/call",
      { name: "publish", arguments: { content: "hi" } },
      {
        token: refreshed.body?.access_token as string,
      },
    );
    expect(published.status).toBe(200);
    expect(JSON.stringify(published.body)).toContain("hi");
  });

  test("a returning browser skips consent and goes straight to the login", async () => {
    const browser = new TestBrowser();
    const client = await saveClient(server);
    await obtainTokens(server, { client, browser });
    const again = await authorize(server, client, { browser });
    expect(again.responses.map((r) => r.url.pathname)).toEqual([
      "/oauth/authorize",
      "/dev-idp/authorize",
      "/dev-idp/authorize",
      "/oauth/callback",
    ]);
    expect(again.code).toBeDefined();
  });
});

describe("iss on every redirect to the client", () => {
  test("success, deny, upstream cancel and request errors all carry iss", async () => {
    const client = await saveClient(server);
    const success = await authorize(server, client);
    const denied = await authorize(server, client, { decision: "deny" });
    const badScope = await authorize(server, client, { scope: "nope" });
    for (const result of [success, denied, badScope]) {
      expect(result.redirect.searchParams.getAll("iss")).toEqual([server.origin]);
    }
    expect(denied.error).toBe("access_denied");
    expect(badScope.error).toBe("invalid_scope");
  });
});

describe("logs", () => {
  test("never contain a code, token (ours or the upstream's), verifier, secret, state or cookie value", async () => {
    const client = await saveClient(server, { authMethod: "client_secret_post" });
    const browser = new TestBrowser();
    const { tokens, authorization } = await obtainTokens(server, { client, browser, state: "secret-client-state" });
    // Failures that log: a replayed code, a reused refresh token outside any grace, an upstream failure.
    await exchangeCode(server, client, { code: authorization.code as string, verifier: authorization.pkce.verifier });
    const rotated = await refresh(server, client, tokens.refresh_token as string);
    await revoke(server, client, tokens.access_token);
    const other = await saveClient(server);
    const start = await browser.get(authorizationUrl(server, other, { pkce: newPkce() }));
    const consent = await browser.get(start.location as URL);
    const [form] = parseForms(consent.html, consent.url);
    const approved = await browser.submit(form as HtmlForm, { name: "decision", value: "approve" });
    const upstreamState = approved.location?.searchParams.get("state") as string;
    const forgedCallback = await browser.get(
      `${server.origin}/oauth/callback?state=${upstreamState}&code=forged-code&iss=${encodeURIComponent(`${server.origin}/dev-idp`)}`,
    );
    expect(forgedCallback.location?.searchParams.get("error")).toBe("server_error");

    const upstream = await server.middleware.store.getUpstreamTokens(jwtPayload(tokens.access_token).sub as string);
    expect(upstream?.accessToken).toBeDefined();
    const text = logs.text();
    const secrets = [
      upstream?.accessToken,
      upstream?.refreshToken,
      authorization.code,
      authorization.pkce.verifier,
      tokens.access_token,
      tokens.refresh_token,
      rotated.body?.refresh_token,
      client.clientSecret,
      "secret-client-state",
      "forged-code",
      upstreamState,
      form?.fields.csrf_token,
      ...[...(browser.cookies.get(new URL(server.origin).host)?.values() ?? [])],
    ].filter((s): s is string => typeof s === "string" && s.length > 0);
    expect(secrets.length).toBeGreaterThanOrEqual(13);
    for (const secret of secrets) expect(text).not.toContain(secret);
    // The replay was logged (without its code).
    expect(text).toContain("presented again");
    expect(text).toContain("sign-in callback failed");
  });
});
