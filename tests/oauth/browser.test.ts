/**
 * The login as a person does it, in headless Chromium (playwright-core with
 * the system /usr/bin/chromium): an SDK 1.x client sends the browser to our
 * authorize endpoint; the person reads the consent page, approves (or
 * denies), signs in on the development login page, and the browser lands on
 * the client's loopback redirect URI, where a small server of the test's
 * catches `code`, `state` and `iss`. Then the client finishes the login and
 * calls the protected tool. Without /usr/bin/chromium these tests fail.
 */
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchHeadlessChromium } from "../../scripts/headless-chromium.mjs";
import { type LoopbackRedirect, startLoopbackRedirect } from "../helpers/loopback-redirect.js";
import { Sdk1OAuthClient } from "../helpers/oauth-client.js";
import { type RunningDemo, startOAuthDemo } from "../helpers/oauth-demo.js";

let demo: RunningDemo;
let redirect: LoopbackRedirect;
let browser: Browser;

beforeAll(async () => {
  [demo, redirect, browser] = await Promise.all([startOAuthDemo(), startLoopbackRedirect(), launchHeadlessChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await redirect?.close();
  await demo?.close();
});

/** A page in a fresh browser profile, recording the responses of its top-level navigations. */
async function freshPage(): Promise<{ context: BrowserContext; page: Page; documents: Response[]; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const documents: Response[] = [];
  const errors: string[] = [];
  page.on("response", (response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) documents.push(response);
  });
  // What the browser refused (a Content-Security-Policy violation, say), for the message of a failed test.
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return { context, page, documents, errors };
}

/** The next redirect to the client, or an error saying where the browser stopped and what it refused. */
async function backAtClient(page: Page, errors: string[]) {
  try {
    return await redirect.next();
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; the browser stopped at ${page.url()}; browser errors: ${errors.join(" | ") || "none"}`,
    );
  }
}

/** An SDK 1.x client whose `redirectToAuthorization` opens the URL in `page`, as a desktop app opens a browser. */
async function clientOpening(page: Page, clientName: string) {
  let opened: Promise<Response | null> | undefined;
  const oauth = new Sdk1OAuthClient({
    clientName,
    redirectUrl: redirect.url,
    authorize: async (url) => {
      opened = page.goto(url.href);
      await opened;
      return undefined;
    },
  });
  const transport = new StreamableHTTPClientTransport(new URL(demo.mcpUrl), { authProvider: oauth });
  const client = new Client({ name: clientName, version: "1.0.0" });
  await client.connect(transport);
  // The protected call sends the person to the browser, then fails until the login is finished.
  await expect(client.callTool({ name: "whoami", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);
  const consent = await opened;
  if (!consent) throw new Error("the authorization URL was not opened");
  return { oauth, transport, client, consent };
}

const expectUnframeable = (response: Response) => {
  const headers = response.headers();
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
};

describe("a person's login in headless Chromium", () => {
  test("consent page → Approve → development login → back at the client's loopback redirect URI; whoami works", async () => {
    const { context, page, documents, errors } = await freshPage();
    const { oauth, transport, client, consent } = await clientOpening(page, "Browser Flow Client");
    try {
      // Our consent page: who asks, for what, where the answer goes; it cannot be framed.
      expect(new URL(page.url()).pathname).toBe("/oauth/consent");
      expect(consent.status()).toBe(200);
      expectUnframeable(consent);
      const text = (await page.textContent("body")) ?? "";
      expect(text).toContain("Browser Flow Client");
      const requested = (oauth.authorizationUrls[0]?.searchParams.get("scope") ?? "").split(" ").filter(Boolean);
      expect(requested.length).toBeGreaterThan(0);
      for (const scope of requested) expect(text).toContain(scope);
      expect(text).toContain(new URL(redirect.url).host);

      await Promise.all([
        page.waitForURL((url) => url.pathname === "/dev-idp/authorize"),
        page.getByRole("button", { name: "Approve" }).click(),
      ]);
      const loginPage = documents.at(-1) as Response;
      expect(new URL(loginPage.url()).pathname).toBe("/dev-idp/authorize");
      expectUnframeable(loginPage);

      await page.fill('input[name="username"]', "grace");
      await page.getByRole("button", { name: "Sign in" }).click();
      const back = await backAtClient(page, errors);
      await page.waitForURL((url) => url.href.startsWith(redirect.url));
      expect(await page.textContent("body")).toContain("You can close this tab");
      expect(back.error).toBeNull();
      expect(back.code).toEqual(expect.any(String));
      expect(back.state).toBe(oauth.states[0]);
      expect(back.iss).toBe(demo.origin);

      await transport.finishAuth(back.code as string);
      const who = await client.callTool({ name: "whoami", arguments: {} });
      expect(who.structuredContent).toEqual({
        userId: "dev:grace",
        clientId: oauth.clientInfo?.client_id,
        scopes: expect.arrayContaining(requested),
      });
    } finally {
      await client.close();
      await context.close();
    }
  });

  test("Deny on the consent page sends the browser back with error=access_denied (and state, iss), no code", async () => {
    const { context, page, errors } = await freshPage();
    const { oauth, client } = await clientOpening(page, "Denied Client");
    try {
      expect(await page.textContent("body")).toContain("Denied Client");
      await page.getByRole("button", { name: "Deny" }).click();
      const back = await backAtClient(page, errors);
      expect(back.error).toBe("access_denied");
      expect(back.code).toBeNull();
      expect(back.state).toBe(oauth.states[0]);
      expect(back.iss).toBe(demo.origin);
      await page.waitForURL((url) => url.href.startsWith(redirect.url));
    } finally {
      await client.close();
      await context.close();
    }
  });
});
