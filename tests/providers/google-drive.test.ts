/**
 * End to end with Google as the upstream: examples/google-drive (built,
 * started as users start it: a child process with the environment a user
 * sets) pointed at the Google stand-in through GOOGLE_UPSTREAM_URL, and the
 * official SDK 1.x client with its own OAuth support: 401 → discovery →
 * registration → our consent page → Google's authorize (the stand-in
 * approves) → our callback → token → the Drive tools. Then a step-up to
 * drive.write, Google access tokens that expire and are refreshed once each
 * (with the refresh token Google never replaces), and a user who removed the
 * app at Google.
 */
import { join } from "node:path";
import { auth, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GoogleStandIn } from "../../packages/providers-google-drive/test/stand-in.js";
import { ROOT } from "../helpers/everything.js";
import { type ExampleProcess, startExample } from "../helpers/example-process.js";
import { freePort } from "../helpers/free-port.js";
import { grantTypes, Sdk1OAuthClient, structured } from "../helpers/oauth-client.js";
import { type AuthorizationRedirect, type HeadlessOAuthClient, headlessOAuthClient } from "../helpers/oauth-login.js";

const GOOGLE_DRIVE_MAIN = join(ROOT, "examples/google-drive/dist/main.js");
/** A loopback redirect URI nobody listens on: the login stops at the redirect and keeps what it carries. */
const REDIRECT = "http://127.0.0.1:47641/callback";
/**
 * Seconds a Google access token lives in the refresh tests: our server refreshes upstream
 * tokens expiring within 300 seconds, so this one is fresh for (at least) four seconds, then due.
 */
const SHORT_LIFETIME = 305;
/** Long enough for a SHORT_LIFETIME token to be due. */
const UNTIL_DUE_MS = 5_200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let google: GoogleStandIn;
let example: ExampleProcess;
let origin = "";

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  // The OAuth client at Google, our callback registered as its redirect URI.
  google = await new GoogleStandIn({ redirectUris: [`${origin}/oauth/callback`] }).listen();

  example = await startExample({
    main: GOOGLE_DRIVE_MAIN,
    name: "examples/google-drive",
    port,
    scrub: ["GOOGLE_"],
    env: {
      OAUTH_SERVER_URL: origin,
      GOOGLE_CLIENT_ID: google.clientId,
      GOOGLE_CLIENT_SECRET: google.clientSecret,
      GOOGLE_UPSTREAM_URL: google.origin,
    },
  });
});

afterAll(async () => {
  await example?.close();
  await google?.close();
});

/** The Google access token each Drive API request carried, in order. */
const driveTokens = () =>
  google.requests
    .filter((r) => r.path.startsWith("/drive/") || r.path.startsWith("/upload/"))
    .map((r) => String(r.headers.authorization).replace(/^Bearer /, ""));

describe("examples/google-drive with an SDK 1.x client", () => {
  let c: HeadlessOAuthClient<Sdk1OAuthClient, StreamableHTTPClientTransport>;
  let client: Client;
  let notes: { id: string };
  let plan: { id: string };

  beforeAll(async () => {
    notes = google.addFile({ name: "notes.txt", mimeType: "text/plain", content: "Buy tea.\n" });
    plan = google.addFile({
      name: "Plan",
      mimeType: "application/vnd.google-apps.document",
      exports: { "text/plain": "Step one: ship it." },
    });
    c = headlessOAuthClient(Sdk1OAuthClient, StreamableHTTPClientTransport, {
      mcpUrl: `${origin}/mcp`,
      redirectUrl: REDIRECT,
      clientName: "chuk e2e (Google Drive)",
      username: "unused: Google signs the user in",
    });
    client = new Client({ name: "chuk e2e (Google Drive)", version: "1.0.0" });
    await client.connect(c.transport);
  });
  afterAll(async () => {
    await client?.close();
  });

  test("sign-in: our consent page, then Google's authorize with offline access, consent and PKCE, then the code exchange", async () => {
    await expect(client.callTool({ name: "drive_list_files", arguments: {} })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const login = c.logins[0] as AuthorizationRedirect;
    expect([login.consented, login.error]).toEqual([true, null]);
    // The client asked for the scope the tool's challenge named.
    expect(c.oauth.authorizationUrls[0]?.searchParams.get("scope")).toBe("drive.read");

    const [authorize] = google.requestsTo("/o/oauth2/v2/auth");
    expect(authorize?.query).toMatchObject({
      client_id: google.clientId,
      redirect_uri: `${origin}/oauth/callback`,
      response_type: "code",
      access_type: "offline",
      prompt: "consent",
      code_challenge_method: "S256",
      scope: "openid https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/drive.file",
    });
    const [exchange] = google.requestsTo("/token");
    expect(exchange?.headers.authorization).toBeUndefined();
    expect(exchange?.form).toMatchObject({
      grant_type: "authorization_code",
      client_id: google.clientId,
      client_secret: google.clientSecret,
      code_verifier: expect.any(String),
    });
    expect(google.requestsTo("/v1/userinfo")).toHaveLength(1);

    await c.transport.finishAuth(c.oauth.code());
    expect(grantTypes(c.requests)).toEqual(["authorization_code"]);
  });

  test("drive_list_files and drive_read_file with the Google token", async () => {
    const list = structured(await client.callTool({ name: "drive_list_files", arguments: {} }));
    expect((list.files as { name: string }[]).map((f) => f.name).sort()).toEqual(["Plan", "notes.txt"]);
    const text = structured(await client.callTool({ name: "drive_read_file", arguments: { fileId: notes.id } }));
    expect(text).toMatchObject({ name: "notes.txt", mimeType: "text/plain", content: "Buy tea.\n" });
    const doc = structured(await client.callTool({ name: "drive_read_file", arguments: { fileId: plan.id } }));
    expect(doc).toMatchObject({ name: "Plan", exportedAs: "text/plain", content: "Step one: ship it." });
    // Every Drive call carried Google's token, never ours.
    const ours = c.oauth.currentTokens?.access_token;
    expect(driveTokens().every((t) => t.startsWith("ya29.") && t !== ours)).toBe(true);
  });

  test("drive_create_text_file needs drive.write: 403 insufficient_scope, then the host steps up", async () => {
    const refused = await client
      .callTool({ name: "drive_create_text_file", arguments: { name: "x.txt", content: "x" } })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(StreamableHTTPError);
    expect((refused as StreamableHTTPError).code).toBe(403);
    const forbidden = c.requests.find((r) => r.status === 403);
    expect(forbidden?.wwwAuthenticate).toContain('error="insufficient_scope"');
    expect(forbidden?.wwwAuthenticate).toContain('scope="drive.write"');
    expect(google.requestsTo("/upload/drive/v3/files")).toEqual([]);

    // The step-up sign-in asks for both scopes; Google's access tokens now live briefly.
    google.accessTokenLifetime = SHORT_LIFETIME;
    c.oauth.invalidateCredentials("tokens");
    expect(await auth(c.oauth, { serverUrl: `${origin}/mcp`, scope: "drive.read drive.write", fetchFn: c.fetch })).toBe(
      "REDIRECT",
    );
    await c.transport.finishAuth(c.oauth.code());
    expect(google.counters.codeExchanges).toBe(2);

    const created = structured(
      await client.callTool({
        name: "drive_create_text_file",
        arguments: { name: "from-mcp.md", content: "# Hello\nFrom MCP.", mimeType: "text/markdown" },
      }),
    );
    expect(created).toEqual({
      id: expect.any(String),
      name: "from-mcp.md",
      mimeType: "text/markdown",
      webViewLink: `https://drive.google.com/file/d/${created.id}/view?usp=drivesdk`,
    });
    expect(google.files.get(created.id as string)?.content?.toString("utf8")).toBe("# Hello\nFrom MCP.");
  });

  test("an expiring Google token is refreshed once by the next call, and again later with the same refresh token", async () => {
    expect(google.counters.refreshes).toBe(0);
    const before = driveTokens().at(-1);
    await sleep(UNTIL_DUE_MS);

    // Due now: the next call refreshes it (once), and uses the new token. It is short-lived too.
    const list = structured(await client.callTool({ name: "drive_list_files", arguments: {} }));
    expect((list.files as unknown[]).length).toBe(3);
    expect(google.counters.refreshes).toBe(1);
    const refreshed = driveTokens().at(-1);
    expect(refreshed).not.toBe(before);
    google.accessTokenLifetime = 3599;

    await sleep(UNTIL_DUE_MS);
    const read = structured(await client.callTool({ name: "drive_read_file", arguments: { fileId: notes.id } }));
    expect(read.content).toBe("Buy tea.\n");
    expect(google.counters.refreshes).toBe(2);
    expect(driveTokens().at(-1)).not.toBe(refreshed);
    // Google's refresh answers carry no refresh token: both refreshes used the one from the sign-in.
    const refreshTokens = google.requestsTo("/token").filter((r) => r.form?.grant_type === "refresh_token");
    expect(refreshTokens.map((r) => r.form?.refresh_token)).toEqual([
      refreshTokens[0]?.form?.refresh_token,
      refreshTokens[0]?.form?.refresh_token,
    ]);
    expect(refreshTokens[0]?.form?.client_secret).toBe(google.clientSecret);

    // Fresh for an hour now: more calls, no more refreshes, no new login.
    structured(await client.callTool({ name: "drive_list_files", arguments: { pageSize: 1 } }));
    expect(google.counters.refreshes).toBe(2);
    expect(google.counters.refusedRefreshes).toBe(0);
    expect(c.oauth.authorizationUrls).toHaveLength(2);
  });

  test("a Drive error reaches the client as a tool error", async () => {
    const result = await client.callTool({ name: "drive_read_file", arguments: { fileId: "1noSuchFile" } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("HTTP 404 NOT_FOUND, notFound: File not found: 1noSuchFile.");
  });

  test("the user removed the app at Google: the next call says to sign in again", async () => {
    google.revokeUser();
    const result = await client.callTool({ name: "drive_list_files", arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("sign in again to re-authorize this client");
  });

  test("no Google token, refresh token, client secret, code or PKCE verifier appears in the server's logs", () => {
    const secrets = [
      google.clientSecret,
      ...driveTokens(),
      ...google.requestsTo("/token").flatMap((r) => [r.form?.code, r.form?.refresh_token, r.form?.code_verifier]),
      ...c.oauth.secrets(),
    ].filter((s): s is string => typeof s === "string" && s !== "");
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    for (const secret of new Set(secrets))
      expect(example.stderr().includes(secret), "a secret in the logs").toBe(false);
  });
});
