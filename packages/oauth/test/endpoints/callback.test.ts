/**
 * `GET /oauth/callback` over real HTTP: the upstream state is single use and
 * bound to the browser that approved; upstream refusals and failures reach
 * the client as `access_denied` / `server_error` (with state and iss); a
 * completed login stores the upstream tokens and the consent, remembers the
 * user, and answers the client with a code, its state and our iss.
 */
import { describe, expect, test } from "vitest";
import {
  authorizationUrl,
  authorize,
  type BrowserResponse,
  newPkce,
  parseForms,
  saveClient,
  TestBrowser,
  useClient,
} from "../helpers/oauth-flow.js";
import { useOAuthServer } from "../helpers/oauth-server.js";

const server = useOAuthServer();
const client = useClient(server);

/** Authorize and approve in `browser`; returns the upstream (dev login) URL with its state. */
async function approveInto(browser: TestBrowser, state = "client-state"): Promise<URL> {
  const start = await browser.get(authorizationUrl(server, client, { pkce: newPkce(), state }));
  const page = await browser.get(start.location as URL);
  const [form] = parseForms(page.html, page.url);
  const approved = await browser.submit(form as NonNullable<typeof form>, { name: "decision", value: "approve" });
  expect(approved.location?.pathname).toBe("/dev-idp/authorize");
  return approved.location as URL;
}

/** Logs in at the development provider (in `browser`) and returns its redirect to our callback. */
async function loginUpstream(browser: TestBrowser, upstream: URL, username = "ada"): Promise<URL> {
  const page = await browser.get(upstream);
  const [form] = parseForms(page.html, page.url);
  const done = await browser.submit(form as NonNullable<typeof form>, { name: "action", value: "login" }, { username });
  expect(done.location?.pathname).toBe("/oauth/callback");
  return done.location as URL;
}

function expectPage(response: BrowserResponse, status: number) {
  expect(response.status).toBe(status);
  expect(response.location).toBeUndefined();
  expect(response.headers.get("content-type")).toContain("text/html");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
}

function expectClientRedirect(response: BrowserResponse): URLSearchParams {
  expect(response.status).toBe(302);
  const location = response.location as URL;
  expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
  expect(location.searchParams.get("iss")).toBe(server.origin);
  return location.searchParams;
}

describe("the state", () => {
  test("missing or unknown → an error page, no redirect", async () => {
    const browser = new TestBrowser();
    expectPage(await browser.get(`${server.origin}/oauth/callback?code=abc`), 400);
    expectPage(await browser.get(`${server.origin}/oauth/callback?code=abc&state=unknown`), 400);
  });

  test("is single use: the same callback again → an error page", async () => {
    const browser = new TestBrowser();
    const callback = await loginUpstream(browser, await approveInto(browser));
    const first = await browser.get(callback);
    expect(expectClientRedirect(first).get("code")).toBeTruthy();
    expectPage(await browser.get(callback), 400);
  });

  test("is honoured only in the browser that approved: an approved upstream URL handed to a victim is refused", async () => {
    // The attacker approves their own request, then lures the victim through the upstream login.
    const attacker = new TestBrowser();
    const upstream = await approveInto(attacker);
    const victim = new TestBrowser();
    const callback = await loginUpstream(victim, upstream, "victim");
    const response = await victim.get(callback);
    expectPage(response, 400);
    expect(response.html).toContain("another browser");
    expect(await server.middleware.store.getUpstreamTokens("dev:victim")).toBeUndefined();
  });

  test("a repeated parameter → an error page", async () => {
    const browser = new TestBrowser();
    expectPage(await browser.get(`${server.origin}/oauth/callback?state=a&state=b`), 400);
  });
});

describe("upstream refusals and failures go back to the client", () => {
  test("the user cancels at the upstream login → access_denied with state and iss", async () => {
    const browser = new TestBrowser();
    const upstream = await approveInto(browser, "cancel-state");
    const page = await browser.get(upstream);
    const [form] = parseForms(page.html, page.url);
    const cancelled = await browser.submit(form as NonNullable<typeof form>, { name: "action", value: "deny" });
    const query = expectClientRedirect(await browser.get(cancelled.location as URL));
    expect(query.get("error")).toBe("access_denied");
    expect(query.get("state")).toBe("cancel-state");
  });

  test("an upstream error other than a refusal → server_error", async () => {
    const browser = new TestBrowser();
    const upstream = await approveInto(browser, "err-state");
    const state = upstream.searchParams.get("state") as string;
    const response = await browser.get(`${server.origin}/oauth/callback?state=${state}&error=temporarily_unavailable`);
    const query = expectClientRedirect(response);
    expect(query.get("error")).toBe("server_error");
    expect(query.get("state")).toBe("err-state");
  });

  test("an upstream code that does not exchange → server_error, and the state is used up", async () => {
    const browser = new TestBrowser();
    const upstream = await approveInto(browser);
    const state = upstream.searchParams.get("state") as string;
    const url = `${server.origin}/oauth/callback?state=${state}&code=forged&iss=${encodeURIComponent(`${server.origin}/dev-idp`)}`;
    const query = expectClientRedirect(await browser.get(url));
    expect(query.get("error")).toBe("server_error");
    expect(query.get("code")).toBeNull();
    expectPage(await browser.get(url), 400);
  });
});

describe("a completed login", () => {
  test("answers with code, state and iss, and keeps the upstream tokens and the consent", async () => {
    const browser = new TestBrowser();
    const callback = await loginUpstream(browser, await approveInto(browser, "done-state"), "grace");
    const response = await browser.get(callback);
    const query = expectClientRedirect(response);
    expect(query.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.get("state")).toBe("done-state");
    expect(response.headers.get("cache-control")).toBe("no-store");

    const upstreamTokens = await server.middleware.store.getUpstreamTokens("dev:grace");
    expect(upstreamTokens?.accessToken).toBeTruthy();
    const consent = await server.middleware.store.getConsent(client.clientId, "dev:grace");
    expect(consent).toMatchObject({ clientId: client.clientId, userId: "dev:grace" });
  });

  test("remembers the user in a signed HttpOnly, SameSite=Lax cookie", async () => {
    const browser = new TestBrowser();
    const callback = await loginUpstream(browser, await approveInto(browser));
    const response = await browser.get(callback);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("chuk-oauth-user="));
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toMatch(/Max-Age=\d+/);
    // The value is signed, not the bare user id.
    expect(cookie).not.toContain("chuk-oauth-user=dev:");
  });

  test("consent skipped for the remembered user, but another account signs in → access_denied, then the consent page", async () => {
    const browser = new TestBrowser();
    const target = await saveClient(server);
    await authorize(server, target, { browser, username: "first" });
    const switched = await authorize(server, target, { browser, username: "second" });
    expect(switched.consentPage).toBeUndefined();
    expect(switched.error).toBe("access_denied");
    expect(switched.code).toBeUndefined();
    const retried = await authorize(server, target, { browser, username: "second" });
    expect(retried.consentPage).toBeDefined();
    expect(retried.code).toBeDefined();
  });
});
