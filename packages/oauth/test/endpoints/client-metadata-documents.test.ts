/**
 * Client ID Metadata Documents end to end, over real HTTP(S): an `https`
 * URL on a real HTTPS server on 127.0.0.1 (self-signed certificate made at
 * test time, trusted through `clientMetadataFetch.ca`, loopback allowed
 * through `clientMetadataAllowedHosts`) as `client_id`.
 *
 * The happy path through authorize → consent (showing the host) → login →
 * callback → token → protected tool → refresh → revoke; every refusal at the
 * authorization endpoint as an error page (never a redirect); the token
 * endpoint's `invalid_client` under the same rules; and the cache.
 */
import { describe, expect, test } from "vitest";
import { MemoryBackend } from "../../src/store/memory.js";
import type { ClientRecord } from "../../src/store/records.js";
import { TokenStore } from "../../src/store/token-store.js";
import {
  freshPath,
  metadataDocument,
  type Route,
  startDocumentHost,
  useDocumentHost,
} from "../helpers/document-host.js";
import { capturingLogger, modernPost } from "../helpers/mcp-requests.js";
import {
  authorizationUrl,
  authorize,
  exchangeCode,
  jwtPayload,
  newPkce,
  refresh,
  revoke,
  TestBrowser,
  type TestClient,
  type Tokens,
  tokenRequest,
} from "../helpers/oauth-flow.js";
import { type StartedOAuthServer, useOAuthServer, withOAuthServer } from "../helpers/oauth-server.js";

const REDIRECT = "http://127.0.0.1:47000/callback";
const host = useDocumentHost();
const logs = capturingLogger();
const server = useOAuthServer(async () => ({
  logger: logs.logger,
  middleware: {
    clientMetadataAllowedHosts: ["127.0.0.1"],
    clientMetadataFetch: { ca: host.ca, timeoutMs: 800 },
  },
}));

/** A `TestClient` for the document URL `url` (a public client: only `record.tokenEndpointAuthMethod` matters to the helpers). */
function documentClient(url: string, redirectUri = REDIRECT): TestClient {
  const record: ClientRecord = {
    clientId: url,
    redirectUris: [redirectUri],
    grantTypes: ["authorization_code", "refresh_token"],
    responseTypes: ["code"],
    tokenEndpointAuthMethod: "none",
    applicationType: "web",
    issuedAt: 0,
  };
  return { clientId: url, redirectUri, record };
}

/** Serves `route` at a fresh path; with no route, a valid document (with `overrides`) for its own URL. */
function publish(
  name: string,
  route?: Route | { overrides: Record<string, unknown>; headers?: Record<string, string> },
) {
  const path = freshPath(name);
  const url = `${host.origin}${path}`;
  if (route === undefined || "overrides" in route) {
    host.serve(path, {
      body: metadataDocument(url, route?.overrides ?? {}),
      ...(route?.headers === undefined ? {} : { headers: route.headers }),
    });
  } else {
    host.serve(path, route);
  }
  return { url, path, client: documentClient(url) };
}

/** GETs /oauth/authorize for `client` (no redirects followed). */
const startAt = (target: StartedOAuthServer, client: TestClient, redirectUri?: string | null) =>
  new TestBrowser().get(
    authorizationUrl(target, client, { pkce: newPkce(), ...(redirectUri === undefined ? {} : { redirectUri }) }),
  );

/** Asserts the error page of a refused client: 400, HTML, no redirect, `text` on the page. */
function expectRefusedPage(response: Awaited<ReturnType<TestBrowser["get"]>>, text: string) {
  expect(response.status).toBe(400);
  expect(response.location).toBeUndefined();
  expect(response.headers.get("content-type")).toContain("text/html");
  expect(response.html).toContain("<code>invalid_request</code>");
  expect(response.html).toContain(text);
}

describe("metadata", () => {
  test("the authorization server metadata advertises client_id_metadata_document_supported", async () => {
    const body = (await (await fetch(`${server.origin}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(body.client_id_metadata_document_supported).toBe(true);
  });
});

describe("the happy path", () => {
  test("authorize → consent (the host shown) → login → callback → token → protected tool → refresh → revoke", async () => {
    const { url, client } = publish("happy", { overrides: { client_name: "Document Client" } });

    const authorization = await authorize(server, client, { scope: "posts.write", state: "s1", username: "grace" });
    expect(authorization.responses.map((r) => `${r.status} ${r.url.pathname}`)).toEqual([
      "302 /oauth/authorize",
      "200 /oauth/consent",
      "302 /oauth/consent",
      "200 /dev-idp/authorize",
      "302 /dev-idp/authorize",
      "302 /oauth/callback",
    ]);
    const consent = authorization.consentPage?.html ?? "";
    expect(consent).toContain("Document Client");
    expect(consent).toContain(`Published by <strong>127.0.0.1:${host.port}</strong>`);
    // The host comes before the self-asserted name's sentence, and the localhost warning is there.
    expect(consent.indexOf("Published by")).toBeLessThan(consent.indexOf("wants to access"));
    expect(consent).toContain("a program on this computer");
    expect(authorization).toMatchObject({ state: "s1", iss: server.origin });

    const exchanged = await exchangeCode(server, client, {
      code: authorization.code as string,
      verifier: authorization.pkce.verifier,
    });
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    const tokens = exchanged.body as unknown as Tokens;
    expect(jwtPayload(tokens.access_token)).toMatchObject({ client_id: url, sub: "dev:grace", scope: "posts.write" });

    const whoami = await modernPost(
      server.mcpUrl,
      "tools/call",
      { name: "whoami", arguments: {} },
      {
        token: tokens.access_token,
      },
    );
    expect(whoami.status).toBe(200);
    expect(JSON.stringify(whoami.body)).toContain(url);

    const refreshed = await refresh(server, client, tokens.refresh_token as string);
    expect(refreshed.status).toBe(200);
    const revoked = await revoke(server, client, refreshed.body?.refresh_token as string);
    expect(revoked.status).toBe(200);
    const afterRevoke = await refresh(server, client, refreshed.body?.refresh_token as string);
    expect(afterRevoke.body?.error).toBe("invalid_grant");
  });

  test("redirect_uri may be left out when the document lists one; a loopback redirect may use another port", async () => {
    const { client } = publish("one-redirect");
    const omitted = await authorize(server, client, { redirectUri: null });
    expect(omitted.code).toBeDefined();
    const otherPort = await authorize(server, { ...client, redirectUri: "http://127.0.0.1:51234/callback" });
    expect(otherPort.code).toBeDefined();
  });
});

describe("refused at /oauth/authorize: an error page, never a redirect", () => {
  test("loopback without the allow-list (127.0.0.1 and localhost): refused, nothing fetched", async () => {
    const { url, path } = publish("no-allow-list");
    await withOAuthServer({ middleware: { clientMetadataFetch: { ca: host.ca } } }, async (plain) => {
      expectRefusedPage(await startAt(plain, documentClient(url)), "does not resolve to a public address");
      const named = `https://localhost:${host.port}${path}`;
      expectRefusedPage(await startAt(plain, documentClient(named)), "does not resolve to a public address");
    });
    expect(host.hits(path)).toBe(0);
  });

  test.each([
    "https://169.254.169.254/latest/client.json",
    "https://10.0.0.1/client.json",
    "https://192.168.1.1/client.json",
    "https://172.16.0.1/client.json",
    "https://[::1]/client.json",
    "https://[fd00::1]/client.json",
  ])("%s", async (url) => {
    expectRefusedPage(await startAt(server, documentClient(url)), "does not resolve to a public address");
  });

  test("an http: URL", async () => {
    const url = `http://127.0.0.1:${host.port}/client.json`;
    expectRefusedPage(await startAt(server, documentClient(url)), "must use https");
  });

  test("a URL the draft does not allow (no path, a fragment, credentials)", async () => {
    expectRefusedPage(await startAt(server, documentClient(`${host.origin}/`)), "must have a path");
    expectRefusedPage(await startAt(server, documentClient(`${host.origin}/c.json#x`)), "fragment");
  });

  test("a redirect (302) from the document URL: not followed", async () => {
    const target = publish("redirect-target");
    const { client } = publish("redirect", { status: 302, headers: { location: target.url } });
    expectRefusedPage(await startAt(server, client), "redirects are not followed");
    expect(host.hits(target.path)).toBe(0);
  });

  test("an oversize document", async () => {
    const { client } = publish("oversize", { overrides: { padding: "x".repeat(8 * 1024) } });
    expectRefusedPage(await startAt(server, client), "larger than 5120 bytes");
  });

  test("a slow document (time limit)", async () => {
    const { url } = publish("slow-target");
    const { client } = publish("slow", { body: metadataDocument(url), delayMs: 5_000 });
    const started = Date.now();
    expectRefusedPage(await startAt(server, client), "did not arrive within 800 ms");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  test("not JSON: an HTML page, and a JSON content type with a body that is not JSON", async () => {
    const html = publish("html", { headers: { "content-type": "text/html" }, body: "<html></html>" });
    expectRefusedPage(await startAt(server, html.client), "application/json");
    const broken = publish("broken", { body: "{not json" });
    expectRefusedPage(await startAt(server, broken.client), "not valid JSON");
  });

  test("a 404", async () => {
    const client = documentClient(`${host.origin}${freshPath("missing")}`);
    expectRefusedPage(await startAt(server, client), "HTTP 404");
  });

  test("a client_id in the document that is not its URL", async () => {
    const { client } = publish("mismatch", { overrides: { client_id: "https://app.example.com/client.json" } });
    expectRefusedPage(await startAt(server, client), "client_id must be exactly the URL");
  });

  test("a redirect_uri the document does not list", async () => {
    const { client } = publish("unlisted");
    const response = await startAt(server, client, "http://127.0.0.1:47000/elsewhere");
    expectRefusedPage(response, "redirect_uri is not one this client registered");
  });

  test("no redirect_uris, no client_name", async () => {
    const noRedirects = publish("no-redirects", { overrides: { redirect_uris: undefined } });
    expectRefusedPage(await startAt(server, noRedirects.client), "redirect_uris");
    const noName = publish("no-name", { overrides: { client_name: undefined } });
    expectRefusedPage(await startAt(server, noName.client), "client_name");
  });

  test("private_key_jwt (not supported here) and shared-secret methods", async () => {
    const jwt = publish("pkjwt", {
      overrides: { token_endpoint_auth_method: "private_key_jwt", jwks_uri: "https://app.example.com/jwks.json" },
    });
    expectRefusedPage(await startAt(server, jwt.client), "private_key_jwt is not supported here");
    const basic = publish("basic", { overrides: { token_endpoint_auth_method: "client_secret_basic" } });
    expectRefusedPage(await startAt(server, basic.client), "cannot share a secret");
  });

  test("refusals are logged for operators, with the reason", () => {
    expect(logs.text()).toContain("client metadata document refused");
    expect(logs.text()).toContain('"problem":"redirect"');
  });
});

describe("/oauth/token and /oauth/revoke: the same rules, as invalid_client", () => {
  test("a document that cannot be used: 401 invalid_client with the reason", async () => {
    const { client } = publish("token-mismatch", { overrides: { client_id: "https://elsewhere.example/c.json" } });
    const response = await tokenRequest(server, client, {
      grant_type: "authorization_code",
      code: "x",
      code_verifier: "y",
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: "invalid_client" });
    expect(response.body?.error_description).toContain("client_id must be exactly the URL");
  });

  test("a refused address at the token endpoint and at the revocation endpoint", async () => {
    const client = documentClient("https://169.254.169.254/client.json");
    const token = await tokenRequest(server, client, { grant_type: "refresh_token", refresh_token: "x" });
    expect(token.status).toBe(401);
    expect(token.body?.error).toBe("invalid_client");
    const revoked = await revoke(server, client, "some-token");
    expect(revoked.status).toBe(401);
  });

  test("a metadata document client is public: a client secret is refused", async () => {
    const { client } = publish("with-secret");
    const response = await tokenRequest(
      server,
      client,
      { grant_type: "refresh_token", refresh_token: "x" },
      { auth: { method: "client_secret_post", secret: "guess" } },
    );
    expect(response.status).toBe(401);
    expect(response.body?.error_description).toContain("registered for none");
  });

  test("a code issued to one document client cannot be redeemed by another", async () => {
    const first = publish("code-owner");
    const second = publish("code-thief");
    const authorization = await authorize(server, first.client);
    const stolen = await exchangeCode(server, second.client, {
      code: authorization.code as string,
      verifier: authorization.pkce.verifier,
    });
    expect(stolen.body?.error).toBe("invalid_grant");
  });
});

describe("the cache", () => {
  test("within max-age a second authorization does not fetch again; the store holds the client until then", async () => {
    const { url, path, client } = publish("cached", { overrides: {}, headers: { "cache-control": "max-age=600" } });
    await authorize(server, client);
    await authorize(server, client);
    // Two authorizations and their consent pages: one fetch.
    expect(host.hits(path)).toBe(1);
    const cached = await server.middleware.store.getClientMetadataDocument(url);
    expect(cached?.client.clientId).toBe(url);
    expect((cached?.expiresAt ?? 0) - (cached?.fetchedAt ?? 0)).toBe(600);
  });

  test("no-store: every use fetches again", async () => {
    const { url, path, client } = publish("no-store", { overrides: {}, headers: { "cache-control": "no-store" } });
    await startAt(server, client);
    await startAt(server, client);
    expect(host.hits(path)).toBe(2);
    expect(await server.middleware.store.getClientMetadataDocument(url)).toBeUndefined();
  });

  test("a lifetime beyond 24 h is capped; none at all is 5 minutes", async () => {
    const long = publish("long", { overrides: {}, headers: { "cache-control": "max-age=31536000" } });
    await startAt(server, long.client);
    const longCached = await server.middleware.store.getClientMetadataDocument(long.url);
    expect((longCached?.expiresAt ?? 0) - (longCached?.fetchedAt ?? 0)).toBe(86_400);
    const plain = publish("plain");
    await startAt(server, plain.client);
    const plainCached = await server.middleware.store.getClientMetadataDocument(plain.url);
    expect((plainCached?.expiresAt ?? 0) - (plainCached?.fetchedAt ?? 0)).toBe(300);
  });

  test("a failed fetch is not cached: once the document is fixed it works at once", async () => {
    const path = freshPath("fixed-later");
    const url = `${host.origin}${path}`;
    host.serve(path, { status: 500, body: {} });
    expectRefusedPage(await startAt(server, documentClient(url)), "HTTP 500");
    host.serve(path, { body: metadataDocument(url) });
    const response = await startAt(server, documentClient(url));
    expect(response.status).toBe(302);
    expect(response.location?.pathname).toBe("/oauth/consent");
    expect(host.hits(path)).toBe(2);
  });

  test("concurrent authorizations of one uncached document share one fetch", async () => {
    const path = freshPath("concurrent");
    const url = `${host.origin}${path}`;
    host.serve(path, { body: metadataDocument(url), delayMs: 200 });
    const client = documentClient(url);
    const answers = await Promise.all([startAt(server, client), startAt(server, client), startAt(server, client)]);
    expect(answers.map((a) => a.status)).toEqual([302, 302, 302]);
    expect(host.hits(path)).toBe(1);
  });

  test("two instances on one store backend share the cache: one fetch for both", async () => {
    const { path, client } = publish("shared", { overrides: {}, headers: { "cache-control": "max-age=600" } });
    const backend = new MemoryBackend();
    const instance = () => ({
      middleware: {
        tokenStore: new TokenStore({ sandboxId: "cimd-shared", backend, encryptionKey: "ab".repeat(32) }),
        clientMetadataAllowedHosts: ["127.0.0.1"],
        clientMetadataFetch: { ca: host.ca },
      },
    });
    await withOAuthServer(instance(), async (first) => {
      await withOAuthServer(instance(), async (second) => {
        for (const s of [first, second, first]) {
          expect((await startAt(s, client)).location?.pathname).toBe("/oauth/consent");
        }
      });
    });
    expect(host.hits(path)).toBe(1);
  });
});

describe("a host name through DNS, pinned to the address checked", () => {
  test("cimd.test (known only to the configured resolver) serves a document; the flow completes", async () => {
    const other = await startDocumentHost();
    try {
      const path = freshPath("dns");
      const url = `https://cimd.test:${other.port}${path}`;
      other.serve(path, { body: metadataDocument(url) });
      await withOAuthServer(
        {
          middleware: {
            clientMetadataAllowedHosts: ["cimd.test"],
            clientMetadataFetch: {
              ca: other.ca,
              resolve: async (name) => (name === "cimd.test" ? [{ address: "127.0.0.1", family: 4 }] : []),
            },
          },
        },
        async (s) => {
          const result = await authorize(s, documentClient(url));
          expect(result.code).toBeDefined();
          expect(result.consentPage?.html).toContain(`Published by <strong>cimd.test:${other.port}</strong>`);
        },
      );
      expect(other.hits(path)).toBe(1);
    } finally {
      await other.close();
    }
  });
});
