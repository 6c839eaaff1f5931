/**
 * The development login page and form (`/dev-idp/authorize`), over real HTTP:
 * what it says, its security headers, escaping, and the requests it refuses.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { computeCodeChallenge, generateCodeVerifier } from "../../src/tokens/pkce.js";
import { type DevIdp, hiddenFields, startDevIdp, submitLogin } from "./dev-idp.js";

let idp: DevIdp;
beforeAll(async () => {
  idp = await startDevIdp();
});
afterAll(() => idp.close());

const HOSTILE = `"><script>alert(1)</script><img src=x onerror='alert(2)'>&amp;`;

/** A well-formed authorization request to the development IdP; `overrides` replace (or, with `undefined`, drop) parameters. */
function authorizeUrl(overrides: Record<string, string | undefined> = {}): URL {
  const url = new URL("/dev-idp/authorize", idp.origin);
  const params: Record<string, string | undefined> = {
    response_type: "code",
    client_id: "dev",
    redirect_uri: idp.provider.redirectUri,
    state: "s-123",
    code_challenge: computeCodeChallenge(generateCodeVerifier()),
    code_challenge_method: "S256",
    scope: "profile posts",
    ...overrides,
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

describe("the login page", () => {
  test("is a form with a username field that says it is a development login accepting any username", async () => {
    const response = await fetch(authorizeUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html; charset=utf-8/);
    const html = await response.text();
    // The public URL, not a bare path: behind a proxy's prefix, "/dev-idp/authorize" would escape it.
    expect(html).toContain(`<form method="post" action="${idp.origin}/dev-idp/authorize">`);
    expect(html).toMatch(/<input id="username" name="username" type="text"/);
    expect(html).toMatch(/<button type="submit" name="action" value="login">/);
    expect(html).toContain("Development login");
    expect(html).toContain("accepts any username");
    expect(html).toContain("never be used in production");
    expect(html).not.toMatch(/<script/i);
  });

  test("cannot be framed, allows no script and posts only to this server or the callback", async () => {
    const response = await fetch(authorizeUrl());
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const csp = response.headers.get("content-security-policy") ?? "";
    const directives = new Map(
      csp.split(";").map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(" ")] as const;
      }),
    );
    expect(directives.get("frame-ancestors")).toBe("'none'");
    expect(directives.get("default-src")).toBe("'none'");
    // No form-action: it would also govern the redirects after the POST, which end at the MCP client.
    expect(directives.has("form-action")).toBe(false);
    expect(directives.has("script-src")).toBe(false);
    expect(csp).not.toContain("unsafe-inline");
  });

  test("escapes a hostile state, and hands it back unchanged through the form", async () => {
    const response = await fetch(authorizeUrl({ state: HOSTILE }));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain("<script>alert(1)");
    expect(html).not.toContain("<img");
    expect(html).toContain("&#34;&#62;&#60;script&#62;");
    expect(hiddenFields(html).state).toBe(HOSTILE);

    const redirect = await submitLogin(authorizeUrl({ state: HOSTILE }).href, { username: "alice" });
    expect(redirect.status).toBe(302);
    expect(new URL(redirect.headers.get("location") ?? "").searchParams.get("state")).toBe(HOSTILE);
  });

  test("refuses an unregistered redirect_uri with an error page (escaped), never a redirect", async () => {
    const hostile = `https://evil.example/cb?x=${HOSTILE}`;
    const response = await fetch(authorizeUrl({ redirect_uri: hostile }), { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    expect(html).toContain("Unregistered redirect_uri");
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("https://evil.example/cb?x=&#34;&#62;&#60;script&#62;");
    expect(html).not.toMatch(/<form/);
  });

  test("refuses a missing redirect_uri, another path on our origin, and an unknown client_id", async () => {
    for (const overrides of [
      { redirect_uri: undefined },
      { redirect_uri: `${idp.origin}/oauth/callback/../evil` },
      { redirect_uri: `${idp.provider.redirectUri}?x=1` },
      { client_id: "someone-else" },
    ]) {
      const response = await fetch(authorizeUrl(overrides), { redirect: "manual" });
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
  });

  test("redirects PKCE problems to the callback with invalid_request, state and iss", async () => {
    for (const [overrides, description] of [
      [{ code_challenge: undefined }, "code_challenge is required (PKCE)"],
      [{ code_challenge_method: "plain" }, "code_challenge_method must be S256"],
      [{ code_challenge_method: undefined }, "code_challenge_method must be S256"],
      [{ code_challenge: "too-short" }, "code_challenge is not a valid S256 challenge"],
    ] as const) {
      const response = await fetch(authorizeUrl(overrides), { redirect: "manual" });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get("location") ?? "");
      expect(location.origin + location.pathname).toBe(idp.provider.redirectUri);
      expect(location.searchParams.get("error")).toBe("invalid_request");
      expect(location.searchParams.get("error_description")).toBe(description);
      expect(location.searchParams.get("state")).toBe("s-123");
      expect(location.searchParams.get("iss")).toBe(`${idp.origin}/dev-idp`);
    }
  });

  test("redirects a wrong response_type and a missing state", async () => {
    const token = await fetch(authorizeUrl({ response_type: "token" }), { redirect: "manual" });
    expect(new URL(token.headers.get("location") ?? "").searchParams.get("error")).toBe("unsupported_response_type");
    const noState = await fetch(authorizeUrl({ state: undefined }), { redirect: "manual" });
    const location = new URL(noState.headers.get("location") ?? "");
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.has("state")).toBe(false);
  });
});

describe("the login form", () => {
  test("issues a code and redirects to the callback with code, state and iss", async () => {
    const response = await submitLogin(authorizeUrl().href, { username: "alice" });
    expect(response.status).toBe(302);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.origin + location.pathname).toBe(idp.provider.redirectUri);
    expect(location.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get("state")).toBe("s-123");
    expect(location.searchParams.get("iss")).toBe(`${idp.origin}/dev-idp`);
  });

  test("refuses a bad username with the page again (escaped), and no code", async () => {
    for (const username of ["", "a".repeat(65), "bob smith", `<b>x</b>`, "ünï"]) {
      const response = await submitLogin(authorizeUrl().href, { username });
      expect(response.status, username).toBe(400);
      expect(response.headers.get("location")).toBeNull();
      const html = await response.text();
      expect(html).toContain("A username is 1-64 characters");
      expect(html).not.toContain("<b>x</b>");
      expect(hiddenFields(html).state).toBe("s-123");
    }
  });

  test("accepts the longest and the widest usernames", async () => {
    for (const username of ["a".repeat(64), "A.z_0-9@example.org"]) {
      const response = await submitLogin(authorizeUrl().href, { username });
      expect(response.status, username).toBe(302);
    }
  });

  test("Cancel redirects access_denied with the state", async () => {
    const response = await submitLogin(authorizeUrl().href, { action: "deny" });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("s-123");
    expect(location.searchParams.has("code")).toBe(false);
  });

  test("a form post that changes the redirect_uri is refused like the page", async () => {
    const page = await fetch(authorizeUrl());
    const fields = hiddenFields(await page.text());
    const body = new URLSearchParams({ ...fields, redirect_uri: "https://evil.example/cb", username: "alice" });
    const response = await fetch(new URL("/dev-idp/authorize", idp.origin), {
      method: "POST",
      body,
      redirect: "manual",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
  });
});
