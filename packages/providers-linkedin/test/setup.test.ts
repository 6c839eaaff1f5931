/**
 * setupLinkedInOAuth: missing configuration stops start-up with a message
 * naming what to set and where; a complete one installs our authorization
 * server (its metadata naming the tools' scopes) with LinkedIn as upstream,
 * and points the ready tools at the same LinkedIn (or stand-in).
 */
import { ChukMCPServer, ConfigError, type RunningServer } from "@chuk-mcp/server";
import { afterEach, describe, expect, test } from "vitest";
import { freePort } from "../../oauth/test/helpers/free-port.js";
import { LINKEDIN_TOOL_SCOPES, registerLinkedInTools, setupLinkedInOAuth } from "../src/index.js";
import { linkedInApiUrlOf } from "../src/setup.js";

const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected it to throw");
};

describe("missing configuration", () => {
  test("no credentials: both variables, the developer portal and the redirect URI to register", () => {
    const err = thrown(() => setupLinkedInOAuth(new ChukMCPServer("t"), { env: {} }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(
      "Invalid configuration: LinkedIn OAuth needs LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET. " +
        "Create an OAuth app at https://www.linkedin.com/developers/apps with the redirect URI " +
        "http://localhost:8000/oauth/callback, then set LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET " +
        "(or pass clientId and clientSecret).",
    );
  });

  test("only the secret missing: names LINKEDIN_CLIENT_SECRET, with the redirect URI from OAUTH_SERVER_URL", () => {
    const err = thrown(() =>
      setupLinkedInOAuth(new ChukMCPServer("t"), {
        env: { LINKEDIN_CLIENT_ID: "abc", OAUTH_SERVER_URL: "https://mcp.example.com/" },
      }),
    );
    expect(err.message).toMatch(/^Invalid configuration: LinkedIn OAuth needs LINKEDIN_CLIENT_SECRET\. /);
    expect(err.message).toContain("with the redirect URI https://mcp.example.com/oauth/callback,");
  });

  test("blank values count as missing; options take precedence over the environment", () => {
    const err = thrown(() =>
      setupLinkedInOAuth(new ChukMCPServer("t"), {
        clientSecret: "from-options",
        env: { LINKEDIN_CLIENT_ID: "  ", LINKEDIN_CLIENT_SECRET: "" },
      }),
    );
    expect(err.message).toMatch(/needs LINKEDIN_CLIENT_ID\. /);
  });

  test("LINKEDIN_UPSTREAM_URL over plain http is allowed on loopback only", () => {
    const env = { LINKEDIN_CLIENT_ID: "abc", LINKEDIN_CLIENT_SECRET: "shh" };
    const err = thrown(() =>
      setupLinkedInOAuth(new ChukMCPServer("t"), { env: { ...env, LINKEDIN_UPSTREAM_URL: "http://linkedin.example" } }),
    );
    expect(err.message).toBe(
      "Invalid configuration: LINKEDIN_UPSTREAM_URL: must be https (http only on a loopback host)",
    );
    const mcp = new ChukMCPServer("t");
    expect(typeof setupLinkedInOAuth(mcp, { env: { ...env, LINKEDIN_UPSTREAM_URL: "http://127.0.0.1:4000/" } })).toBe(
      "function",
    );
    expect(linkedInApiUrlOf(mcp)).toBe("http://127.0.0.1:4000");
  });
});

describe("a complete configuration", () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  async function start(options: Parameters<typeof setupLinkedInOAuth>[1] = {}) {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const mcp = new ChukMCPServer("linkedin-setup-test", { logLevel: "silent" });
    registerLinkedInTools(mcp);
    running = await mcp.run({
      transport: "http",
      port,
      handleSignals: false,
      postRegisterHook: setupLinkedInOAuth(mcp, {
        env: { LINKEDIN_CLIENT_ID: "li-id", LINKEDIN_CLIENT_SECRET: "li-secret", OAUTH_SERVER_URL: origin },
        ...options,
      }),
    });
    return { origin, mcp };
  }

  test("the authorization server is mounted; its scopes are the ready tools' scopes; LinkedIn is the upstream", async () => {
    const { origin, mcp } = await start();
    const metadata = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata.issuer).toBe(origin);
    expect(metadata.scopes_supported).toEqual([LINKEDIN_TOOL_SCOPES.profile, LINKEDIN_TOOL_SCOPES.post]);
    expect(metadata.scopes_supported).toEqual(["profile.read", "posts.write"]);
    expect(linkedInApiUrlOf(mcp)).toBe("https://api.linkedin.com");
    // A protected tool without credentials: 401 pointing at our metadata.
    const call = await fetch(`${origin}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: {
          name: "linkedin_profile",
          arguments: {},
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
            "io.modelcontextprotocol/clientCapabilities": {},
          },
        },
      }),
    });
    expect(call.status).toBe(401);
    expect(call.headers.get("www-authenticate")).toContain(`${origin}/.well-known/oauth-protected-resource`);
  });

  test("scopesSupported overrides the default", async () => {
    const { origin } = await start({ scopesSupported: ["profile.read", "posts.write", "extra.scope"] });
    const metadata = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata.scopes_supported).toEqual(["profile.read", "posts.write", "extra.scope"]);
  });
});
