/**
 * `setupGoogleDriveOAuth`: missing configuration stops start-up at once with
 * a message naming what to set and where; with credentials, the hook installs
 * our authorization server offering drive.read and drive.write, sending users
 * to Google (or to GOOGLE_UPSTREAM_URL) with our callback as redirect URI.
 */
import { ChukMCPServer, ConfigError } from "@chuk-mcp/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GOOGLE_DRIVE_MCP_SCOPES, setupGoogleDriveOAuth } from "../src/index.js";
import { type DriveServer, startDriveServer } from "./drive-server.js";
import { type GoogleStandIn, startGoogleStandIn } from "./stand-in.js";

const server = () => new ChukMCPServer("setup-test", { logLevel: "silent" });

describe("missing configuration", () => {
  test("no credentials: names both variables, where to create them, and the redirect URI to register", () => {
    expect(() => setupGoogleDriveOAuth(server(), { env: {} })).toThrow(ConfigError);
    expect(() => setupGoogleDriveOAuth(server(), { env: {} })).toThrow(
      "Invalid configuration: Google OAuth needs GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET. Create an OAuth app at " +
        "https://console.cloud.google.com/apis/credentials with the redirect URI http://localhost:8000/oauth/callback, " +
        "then set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (or pass clientId and clientSecret).",
    );
  });

  test("only the secret missing: names GOOGLE_CLIENT_SECRET, and the redirect URI follows OAUTH_SERVER_URL", () => {
    expect(() =>
      setupGoogleDriveOAuth(server(), {
        env: { GOOGLE_CLIENT_ID: "1234.apps.googleusercontent.com", OAUTH_SERVER_URL: "https://mcp.example.com" },
      }),
    ).toThrow(
      "Google OAuth needs GOOGLE_CLIENT_SECRET. Create an OAuth app at https://console.cloud.google.com/apis/credentials " +
        "with the redirect URI https://mcp.example.com/oauth/callback,",
    );
  });

  test("GOOGLE_UPSTREAM_URL must be https, or http on loopback", () => {
    const env = { GOOGLE_CLIENT_ID: "id", GOOGLE_CLIENT_SECRET: "secret" };
    expect(() =>
      setupGoogleDriveOAuth(server(), { env: { ...env, GOOGLE_UPSTREAM_URL: "http://google.example" } }),
    ).toThrow("GOOGLE_UPSTREAM_URL: must be https (http only on a loopback host)");
  });

  test("a bad redirect URI is refused at once, not at the first login", () => {
    const env = { GOOGLE_CLIENT_ID: "id", GOOGLE_CLIENT_SECRET: "secret", GOOGLE_REDIRECT_URI: "oauth/callback" };
    expect(() => setupGoogleDriveOAuth(server(), { env })).toThrow(/redirectUri must be an absolute http\(s\) URL/);
  });
});

describe("with credentials from the environment", () => {
  let google: GoogleStandIn;
  let mcp: DriveServer;

  beforeAll(async () => {
    google = await startGoogleStandIn();
    mcp = await startDriveServer(google, {
      callbackPath: "/auth/google/callback",
      setup: (origin) => ({
        env: {
          GOOGLE_CLIENT_ID: google.clientId,
          GOOGLE_CLIENT_SECRET: google.clientSecret,
          GOOGLE_UPSTREAM_URL: google.origin,
          GOOGLE_REDIRECT_URI: `${origin}/auth/google/callback`,
          OAUTH_SERVER_URL: origin,
        },
      }),
    });
  });
  afterAll(async () => {
    await mcp?.close();
    await google?.close();
  });

  test("our authorization server offers drive.read and drive.write", async () => {
    const metadata = (await (await fetch(`${mcp.origin}/.well-known/oauth-authorization-server`)).json()) as {
      issuer: string;
      scopes_supported: string[];
    };
    expect(metadata.issuer).toBe(mcp.origin);
    expect(metadata.scopes_supported).toEqual([...GOOGLE_DRIVE_MCP_SCOPES]);
    expect(GOOGLE_DRIVE_MCP_SCOPES).toEqual(["drive.read", "drive.write"]);
  });

  test("a sign-in goes to GOOGLE_UPSTREAM_URL, tells Google GOOGLE_REDIRECT_URI, and comes back there", async () => {
    const token = await mcp.signIn(["drive.read"]);
    expect(token).toEqual(expect.any(String));
    const [authorize] = google.requestsTo("/o/oauth2/v2/auth");
    expect(authorize?.query.redirect_uri).toBe(`${mcp.origin}/auth/google/callback`);
    expect(authorize?.query.client_id).toBe(google.clientId);
    // The default callback path is not mounted: only the one the redirect URI names.
    expect((await fetch(`${mcp.origin}/oauth/callback?state=x&code=y`, { redirect: "manual" })).status).toBe(404);
    // And the Drive tools registered before the setup follow GOOGLE_UPSTREAM_URL too.
    const call = await mcp.callTool(token, "drive_list_files", {});
    expect(call.result?.structuredContent).toEqual({ files: [] });
    expect(google.requestsTo("/drive/v3/files")).toHaveLength(1);
  });
});
