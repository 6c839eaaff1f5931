/**
 * setupGitHubOAuth: the configuration it reads, the errors that say what to
 * set, and the authorization server it installs.
 */
import { createServer } from "node:net";
import { ChukMCPServer, ConfigError } from "@chuk-mcp/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GITHUB_MCP_SCOPES, setupGitHubOAuth } from "../src/setup.js";
import { GitHubStandIn } from "./stand-in.js";

const server = () => new ChukMCPServer("github-setup-test", { logLevel: "silent" });

describe("missing or bad configuration stops start-up with a message saying what to set", () => {
  test("no credentials: both variables, where to create the app, and the callback URL to register", () => {
    expect(() => setupGitHubOAuth(server(), { env: {} })).toThrow(ConfigError);
    expect(() => setupGitHubOAuth(server(), { env: {} })).toThrow(
      "Invalid configuration: GitHub OAuth needs GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET. Create an OAuth app at " +
        "https://github.com/settings/developers with the redirect URI http://localhost:8000/oauth/callback, then set " +
        "GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (or pass clientId and clientSecret).",
    );
  });

  test("only the secret missing: names it, and the callback follows OAUTH_SERVER_URL", () => {
    expect(() =>
      setupGitHubOAuth(server(), {
        env: { GITHUB_CLIENT_ID: "Ov23liAbc", OAUTH_SERVER_URL: "https://mcp.example.com" },
      }),
    ).toThrow(
      "GitHub OAuth needs GITHUB_CLIENT_SECRET. Create an OAuth app at https://github.com/settings/developers " +
        "with the redirect URI https://mcp.example.com/oauth/callback,",
    );
  });

  test("options count as configuration: no error when they carry the credentials", () => {
    expect(typeof setupGitHubOAuth(server(), { env: {}, clientId: "Ov23liAbc", clientSecret: "s" })).toBe("function");
  });

  test("GITHUB_UPSTREAM_URL: http only on loopback", () => {
    const env = { GITHUB_CLIENT_ID: "Ov23liAbc", GITHUB_CLIENT_SECRET: "s" };
    expect(() =>
      setupGitHubOAuth(server(), { env: { ...env, GITHUB_UPSTREAM_URL: "http://github.internal" } }),
    ).toThrow("GITHUB_UPSTREAM_URL: must be https (http only on a loopback host)");
    expect(typeof setupGitHubOAuth(server(), { env: { ...env, GITHUB_UPSTREAM_URL: "http://127.0.0.1:4010" } })).toBe(
      "function",
    );
  });

  test("a malformed GITHUB_REDIRECT_URI is refused by the provider, naming the option", () => {
    expect(() =>
      setupGitHubOAuth(server(), {
        env: { GITHUB_CLIENT_ID: "Ov23liAbc", GITHUB_CLIENT_SECRET: "s", GITHUB_REDIRECT_URI: "callback" },
      }),
    ).toThrow("GitHubOAuthProvider options: redirectUri must be an absolute http(s) URL without a fragment");
  });
});

describe("the installed authorization server", () => {
  let standIn: GitHubStandIn;
  let origin: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    standIn = await GitHubStandIn.start();
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
      });
    });
    origin = `http://127.0.0.1:${port}`;
    const mcp = server();
    const running = await mcp.run({
      transport: "http",
      host: "127.0.0.1",
      port,
      handleSignals: false,
      logLevel: "silent",
      postRegisterHook: setupGitHubOAuth(mcp, {
        env: {
          GITHUB_CLIENT_ID: standIn.clientId,
          GITHUB_CLIENT_SECRET: standIn.clientSecret,
          GITHUB_UPSTREAM_URL: standIn.origin,
          OAUTH_SERVER_URL: origin,
        },
      }),
    });
    close = () => running.close();
  });
  afterAll(async () => {
    await close?.();
    await standIn?.close();
  });

  test("offers the GitHub tools' MCP scopes, github.read and github.write", async () => {
    expect(GITHUB_MCP_SCOPES).toEqual(["github.read", "github.write"]);
    const metadata = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata.issuer).toBe(origin);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(["github.read", "github.write"]));
    const resource = (await (await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<
      string,
      unknown
    >;
    expect(resource.authorization_servers).toEqual([origin]);
    expect(resource.scopes_supported).toEqual(expect.arrayContaining(["github.read", "github.write"]));
  });
});
