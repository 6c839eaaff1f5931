/**
 * examples/custom-provider end to end: the built example (a complete
 * `BaseOAuthProvider` subclass for the fictional Acme, wired with
 * `OAuthMiddleware`) runs as a child process against the Acme stand-in, and
 * an official SDK 1.x client signs in through it and calls its protected
 * tools, which use the user's Acme token. Also: the docs show this very
 * code, missing credentials stop it at start-up, and an expiring Acme token
 * is refreshed (rotated) once.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT } from "../helpers/everything.js";
import { type ExampleProcess, spawnExample, startExample } from "../helpers/example-process.js";
import { freePort } from "../helpers/free-port.js";
import { grantTypes, oauthRequests, Sdk1OAuthClient, structured } from "../helpers/oauth-client.js";
import { headlessOAuthClient } from "../helpers/oauth-login.js";
import { AcmeStandIn } from "./acme-stand-in.js";

const MAIN = join(ROOT, "examples/custom-provider/dist/main.js");
const CLIENT_ID = "acme-client-e2e";
const CLIENT_SECRET = "acme-secret-e2e-value";
const REDIRECT = "http://127.0.0.1:47615/callback";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The built example with `env` (and nothing of this machine's OAuth or Acme settings). */
const exampleOptions = (port: number, env: Record<string, string>) => ({ main: MAIN, port, env, scrub: ["ACME_"] });

test("docs/oauth/custom-providers.md shows this example's code, verbatim", () => {
  const page = readFileSync(join(ROOT, "docs/oauth/custom-providers.md"), "utf8");
  const section = page.slice(page.indexOf("## A complete example"));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBe(readFileSync(join(ROOT, "examples/custom-provider/src/main.ts"), "utf8"));
});

test("without ACME_CLIENT_ID and ACME_CLIENT_SECRET the example stops at start-up, naming them", async () => {
  const port = await freePort();
  const started = await spawnExample(exampleOptions(port, {}));
  expect(await started.exited).not.toBe(0);
  expect(started.stderr()).toContain(
    `Invalid configuration: Acme OAuth needs ACME_CLIENT_ID and ACME_CLIENT_SECRET: register an app at Acme with the redirect URI http://localhost:${port}/oauth/callback`,
  );
});

describe("the example against the Acme stand-in", () => {
  let acme: AcmeStandIn;
  let example: ExampleProcess;

  beforeAll(async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    acme = await AcmeStandIn.start({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${origin}/oauth/callback`],
    });
    example = await startExample({
      ...exampleOptions(port, {
        ACME_CLIENT_ID: CLIENT_ID,
        ACME_CLIENT_SECRET: CLIENT_SECRET,
        ACME_AUTH_URL: acme.url,
        ACME_API_URL: acme.url,
        OAUTH_SERVER_URL: origin,
      }),
      name: "examples/custom-provider",
    });
  });
  afterAll(async () => {
    await example?.close();
    await acme?.close();
  });

  async function sdk1Client(clientName: string) {
    const c = headlessOAuthClient(Sdk1OAuthClient, StreamableHTTPClientTransport, {
      mcpUrl: example.mcpUrl,
      redirectUrl: REDIRECT,
      clientName,
      username: "unused-at-acme",
    });
    const client = new Client({ name: clientName, version: "1.0.0" });
    await client.connect(c.transport);
    return { ...c, client };
  }

  /** The SDK's own flow: a protected call → 401 → … → the login; then the code for tokens. */
  async function signIn(c: Awaited<ReturnType<typeof sdk1Client>>) {
    await expect(c.client.callTool({ name: "publish_post", arguments: { content: "first" } })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await c.transport.finishAuth(c.oauth.code());
  }

  describe("SDK 1.x client: sign in with Acme, then the protected tools", () => {
    let c: Awaited<ReturnType<typeof sdk1Client>>;
    beforeAll(async () => {
      c = await sdk1Client("chuk e2e Acme (SDK 1.x)");
    });
    afterAll(() => c?.client.close());

    test("401 → metadata → registration → consent → Acme (PKCE, secret in the body, iss) → callback → token", async () => {
      const tokenRequests = acme.tokenRequests.length;
      await signIn(c);
      expect(oauthRequests(c.requests)).toEqual([
        "GET /.well-known/oauth-protected-resource/mcp",
        "GET /.well-known/oauth-authorization-server",
        "POST /oauth/register",
        "POST /oauth/token",
      ]);
      expect(c.oauth.authorizationUrls[0]?.searchParams.get("scope")).toBe("posts.write");
      expect(c.logins[0]?.consented).toBe(true);
      // The provider asked Acme for posts:write because the client asked us for posts.write.
      const atAcme = acme.authorizationRequests.at(-1);
      expect(atAcme?.get("scope")).toBe("profile posts:write");
      expect(atAcme?.get("code_challenge_method")).toBe("S256");
      expect(atAcme?.get("redirect_uri")).toBe(`${example.origin}/oauth/callback`);
      expect(acme.tokenRequests.slice(tokenRequests)).toEqual([
        { grantType: "authorization_code", clientAuth: "client_secret_post", codeVerifier: true, status: 200 },
      ]);
      expect(grantTypes(c.requests)).toEqual(["authorization_code"]);
    });

    test("publish_post posts on Acme as the user, with the user's Acme token", async () => {
      const post = structured(
        await c.client.callTool({ name: "publish_post", arguments: { content: "Hello from a custom provider" } }),
      );
      expect(post).toMatchObject({
        id: acme.posts.at(-1)?.id,
        content: "Hello from a custom provider",
        author: { id: acme.user.id, display_name: "Grace Hopper" },
      });
      expect(acme.posts.at(-1)?.authorId).toBe(acme.user.id);
    });

    test("acme_whoami reads the user from Acme's API", async () => {
      const me = structured(await c.client.callTool({ name: "acme_whoami", arguments: {} }));
      expect(me).toEqual({ id: acme.user.id, displayName: "Grace Hopper", email: "grace@acme.example" });
    });

    test("Acme refusing the token (the account disabled) is a tool error saying to sign in again", async () => {
      acme.revokeUser();
      const result = await c.client.callTool({ name: "acme_whoami", arguments: {} });
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0]?.text).toBe(
        "Acme refused the request (HTTP 401: The access token is missing, expired or revoked). The Acme authorization has ended: sign in again.",
      );
    });
  });

  test("an Acme token about to expire is refreshed once (with the secret in the body), without a new login", async () => {
    const c = await sdk1Client("chuk e2e Acme refresh (SDK 1.x)");
    // Our server refreshes upstream tokens expiring within 300 s: this one is fresh for 6 s, then due.
    acme.accessTokenLifetime = 306;
    try {
      await signIn(c);
      const signedInAt = Date.now();
      const refreshes = acme.counters.refresh_token;
      structured(await c.client.callTool({ name: "acme_whoami", arguments: {} }));
      expect(acme.counters.refresh_token).toBe(refreshes);

      acme.accessTokenLifetime = 3600;
      await sleep(7000 - (Date.now() - signedInAt));
      structured(await c.client.callTool({ name: "acme_whoami", arguments: {} }));
      structured(await c.client.callTool({ name: "publish_post", arguments: { content: "after the refresh" } }));
      expect(acme.counters.refresh_token).toBe(refreshes + 1);
      expect(acme.tokenRequests.at(-1)).toEqual({
        grantType: "refresh_token",
        clientAuth: "client_secret_post",
        codeVerifier: false,
        status: 200,
      });
      expect(c.oauth.authorizationUrls).toHaveLength(1);
    } finally {
      acme.accessTokenLifetime = 3600;
      await c.client.close();
    }
  });

  test("no Acme token, code or client secret appears in the example's logs", () => {
    expect(acme.secrets.length).toBeGreaterThanOrEqual(6);
    const logs = example.stderr();
    for (const secret of [...acme.secrets, CLIENT_SECRET])
      expect(logs.includes(secret), "a secret in the logs").toBe(false);
  });
});
