/**
 * The consent page and form over real HTTP: what the page shows (escaped),
 * its headers, the CSRF protection of the form (token and cookie), Approve
 * and Deny, single use, and when consent is skipped (same browser, same
 * client, same or fewer scopes) or shown again.
 */
import { describe, expect, test } from "vitest";
import {
  authorizationUrl,
  authorize,
  type BrowserResponse,
  type HtmlForm,
  newPkce,
  parseForms,
  saveClient,
  TestBrowser,
  type TestClient,
  useClient,
} from "../helpers/oauth-flow.js";
import { useOAuthServer, withOAuthServer } from "../helpers/oauth-server.js";

const server = useOAuthServer({ middleware: { providerName: "Dev Login" } });
const client = useClient(server, { clientName: "Calendar Helper" });

/** Opens the consent page for a new request of `target` in `browser`. */
async function openConsent(
  target: TestClient = client,
  browser = new TestBrowser(),
  params: { scope?: string; state?: string } = { scope: "posts.write profile.read", state: "st" },
): Promise<{ browser: TestBrowser; page: BrowserResponse; form: HtmlForm }> {
  const start = await browser.get(authorizationUrl(server, target, { pkce: newPkce(), ...params }));
  expect(start.location?.pathname).toBe("/oauth/consent");
  const page = await browser.get(start.location as URL);
  expect(page.status).toBe(200);
  const [form] = parseForms(page.html, page.url);
  if (!form) throw new Error("no form on the consent page");
  return { browser, page, form };
}

describe("the page", () => {
  test("names the client, where the answer goes, the scopes and the provider, with Approve and Deny", async () => {
    const { page, form } = await openConsent();
    expect(page.html).toContain("Calendar Helper");
    expect(page.html).toContain(`<strong>${new URL(client.redirectUri).host}</strong>`);
    expect(page.html).toContain(`<code>${client.redirectUri}</code>`);
    expect(page.html).toContain("posts.write");
    expect(page.html).toContain("profile.read");
    expect(page.html).toContain("Dev Login");
    expect(form.method).toBe("post");
    expect(form.action.href).toBe(`${server.origin}/oauth/consent`);
    expect(form.buttons).toEqual([
      { name: "decision", value: "approve" },
      { name: "decision", value: "deny" },
    ]);
    expect(form.fields.request).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(form.fields.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("cannot be framed, cached or leak a Referer; its form may go only here, upstream and to the client", async () => {
    const { page } = await openConsent();
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    const formAction = /form-action ([^;]*)/.exec(csp)?.[1]?.split(" ");
    expect(formAction).toEqual(["'self'", server.origin, new URL(client.redirectUri).origin]);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  test("sets the browser cookie HttpOnly and SameSite=Lax", async () => {
    const browser = new TestBrowser();
    const start = await browser.get(authorizationUrl(server, client, { pkce: newPkce() }));
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith("chuk-oauth-browser="));
    expect(cookie).toBeDefined();
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
  });

  test("escapes a hostile client_name", async () => {
    const hostile = await saveClient(server, {
      clientName: `<script>alert("x")</script><img src=x onerror='y'>&amp;`,
    });
    const { page } = await openConsent(hostile);
    expect(page.html).not.toContain("<script>");
    expect(page.html).not.toContain("<img");
    expect(page.html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");
    expect(page.html).toContain("&#38;amp;");
  });

  test("an unknown or used consent request → an error page", async () => {
    const browser = new TestBrowser();
    const unknown = await browser.get(`${server.origin}/oauth/consent?request=nope`);
    expect(unknown.status).toBe(400);
    expect(unknown.html).toContain("expired");
    const missing = await browser.get(`${server.origin}/oauth/consent`);
    expect(missing.status).toBe(400);
  });
});

describe("CSRF protection of the form", () => {
  test("a missing token is refused (403), and the request survives for the real page", async () => {
    const { browser, form } = await openConsent();
    const refused = await browser.submit(form, { name: "decision", value: "approve" }, { csrf_token: "" });
    expect(refused.status).toBe(403);
    expect(refused.location).toBeUndefined();
    const approved = await browser.submit(form, { name: "decision", value: "approve" });
    expect(approved.status).toBe(302);
  });

  test("a wrong token is refused", async () => {
    const { browser, form } = await openConsent();
    const refused = await browser.submit(form, { name: "decision", value: "approve" }, { csrf_token: "A".repeat(43) });
    expect(refused.status).toBe(403);
  });

  test("the right token without the browser's cookie (another browser, a cross-site post) is refused", async () => {
    const { form } = await openConsent();
    const attacker = new TestBrowser();
    const refused = await attacker.submit(form, { name: "decision", value: "approve" });
    expect(refused.status).toBe(403);
  });

  test("the token of another consent request is refused", async () => {
    const browser = new TestBrowser();
    const first = await openConsent(client, browser);
    const second = await openConsent(client, browser);
    const refused = await browser.submit(
      second.form,
      { name: "decision", value: "approve" },
      { csrf_token: first.form.fields.csrf_token as string },
    );
    expect(refused.status).toBe(403);
  });

  test("a form that is not form-encoded is refused", async () => {
    const { browser, form } = await openConsent();
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: browser.cookieHeader(form.action) ?? "" },
      body: JSON.stringify({ ...form.fields, decision: "approve" }),
      redirect: "manual",
    });
    expect(response.status).toBe(400);
  });
});

describe("the decision", () => {
  test("Approve sends the browser upstream, once: the same form again finds nothing", async () => {
    const { browser, form } = await openConsent();
    const approved = await browser.submit(form, { name: "decision", value: "approve" });
    expect(approved.status).toBe(302);
    expect(approved.location?.pathname).toBe("/dev-idp/authorize");
    expect(approved.location?.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await browser.submit(form, { name: "decision", value: "approve" });
    expect(again.status).toBe(400);
    expect(again.location).toBeUndefined();
  });

  test("Deny → access_denied to the client with state and iss; the request is used up", async () => {
    const { browser, form } = await openConsent(client, new TestBrowser(), { state: "deny-state" });
    const denied = await browser.submit(form, { name: "decision", value: "deny" });
    expect(denied.status).toBe(302);
    const location = denied.location as URL;
    expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("deny-state");
    expect(location.searchParams.get("iss")).toBe(server.origin);
    expect(location.searchParams.get("code")).toBeNull();
    const approveAfter = await browser.submit(form, { name: "decision", value: "approve" });
    expect(approveAfter.status).toBe(400);
  });

  test("the helper's deny path reports access_denied too", async () => {
    const result = await authorize(server, client, { decision: "deny", state: "x" });
    expect(result.error).toBe("access_denied");
    expect(result.state).toBe("x");
    expect(result.iss).toBe(server.origin);
    expect(result.loggedIn).toBe(false);
  });

  test("a decision other than approve or deny is refused", async () => {
    const { browser, form } = await openConsent();
    const response = await browser.submit(form, { name: "decision", value: "maybe" });
    expect(response.status).toBe(400);
  });
});

describe("remembered consent", () => {
  test("is skipped the second time in the same browser for the same client and scopes", async () => {
    const browser = new TestBrowser();
    const target = await saveClient(server);
    const first = await authorize(server, target, { browser, scope: "posts.write" });
    expect(first.consentPage).toBeDefined();
    expect(first.code).toBeDefined();
    const second = await authorize(server, target, { browser, scope: "posts.write" });
    expect(second.consentPage).toBeUndefined();
    expect(second.code).toBeDefined();
    // Fewer scopes than approved: still no page.
    const fewer = await authorize(server, target, { browser });
    expect(fewer.consentPage).toBeUndefined();
  });

  test("is shown for a new client in the same browser", async () => {
    const browser = new TestBrowser();
    await authorize(server, await saveClient(server), { browser });
    const other = await authorize(server, await saveClient(server), { browser });
    expect(other.consentPage).toBeDefined();
  });

  test("is shown again when more scopes are asked for than were approved", async () => {
    const browser = new TestBrowser();
    const target = await saveClient(server);
    await authorize(server, target, { browser, scope: "profile.read" });
    const more = await authorize(server, target, { browser, scope: "profile.read posts.write" });
    expect(more.consentPage).toBeDefined();
  });

  test("is shown in another browser (the remembered user is a signed cookie of this browser)", async () => {
    const target = await saveClient(server);
    await authorize(server, target, { browser: new TestBrowser() });
    const elsewhere = await authorize(server, target, { browser: new TestBrowser() });
    expect(elsewhere.consentPage).toBeDefined();
  });

  test("a forged remembered-user cookie is ignored", async () => {
    const browser = new TestBrowser();
    const target = await saveClient(server);
    await authorize(server, target, { browser });
    const jar = browser.cookies.get(new URL(server.origin).host) as Map<string, string>;
    const [user, expires] = (jar.get("chuk-oauth-user") as string).split(".");
    jar.set("chuk-oauth-user", `${user}.${expires}.${"A".repeat(43)}`);
    const again = await authorize(server, target, { browser });
    expect(again.consentPage).toBeDefined();
  });
});

describe("on an https issuer", () => {
  test("the cookies are __Host- prefixed and Secure", async () => {
    await withOAuthServer({ middleware: { oauthServerUrl: "https://auth.example" } }, async (secure) => {
      const target = await saveClient(secure);
      const start = await new TestBrowser().get(authorizationUrl(secure, target, { pkce: newPkce() }));
      expect(start.location?.href.startsWith("https://auth.example/oauth/consent?request=")).toBe(true);
      const cookie = start.headers.getSetCookie().find((c) => c.startsWith("__Host-chuk-oauth-browser="));
      expect(cookie).toBeDefined();
      expect(cookie).toContain("Secure");
      expect(cookie).toContain("Path=/");
      expect(cookie).not.toContain("Domain");
    });
  });
});
