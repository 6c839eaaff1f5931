/**
 * DevOAuthProvider's options, its start-up warning, and its place in a real
 * OAuth-protected server (mounted by OAuthMiddleware next to our endpoints).
 */
import { randomBytes } from "node:crypto";
import Fastify from "fastify";
import { afterEach, describe, expect, test, vi } from "vitest";
import { DevOAuthProvider, type DevOAuthProviderOptions } from "../../src/dev-provider/index.js";
import { TokenStore } from "../../src/store/token-store.js";
import { withOAuthServer } from "../helpers/oauth-server.js";
import { login } from "./dev-idp.js";

const quiet = { warn: () => {} };

/** A provider for the IdP at `serverUrl`, mounted (on a spare app, as the middleware would) with a store under `key`. */
async function mountedWithKey(serverUrl: string, key: string): Promise<DevOAuthProvider> {
  const provider = new DevOAuthProvider({ serverUrl, logger: quiet });
  const app = Fastify({ logger: false });
  const store = new TokenStore({ sandboxId: "elsewhere", encryptionKey: key, env: {} });
  try {
    await provider.mount(app, { issuer: serverUrl, store });
  } finally {
    await app.close();
    await store.close();
  }
  return provider;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("options", () => {
  test("derive the redirect URI, name and endpoints from serverUrl (trailing slash dropped)", () => {
    const provider = new DevOAuthProvider({ serverUrl: "http://localhost:8000/", logger: quiet });
    expect(provider.name).toBe("Development login");
    expect(provider.redirectUri).toBe("http://localhost:8000/oauth/callback");
    expect(provider.serverUrl).toBe("http://localhost:8000");
    expect(provider.postsUrl).toBe("http://localhost:8000/dev-idp/api/posts");
    expect(provider.counters).toEqual({ authorization_code: 0, refresh_token: 0 });
  });

  test.each([
    [{ serverUrl: "not a url" }, /serverUrl: must be an absolute URL/],
    [{ serverUrl: "http://example.com" }, /serverUrl: http is allowed only for loopback hosts/],
    [{ serverUrl: "http://127.0.0.1:8000?x=1" }, /serverUrl: must not have a query/],
    [{ serverUrl: 8000 }, /DevOAuthProvider options: serverUrl must be a URL string/],
    [{ serverUrl: "http://127.0.0.1:8000", accessTokenTtl: 0 }, /accessTokenTtl must be at least 1 second/],
    [{ serverUrl: "http://127.0.0.1:8000", accessTokenTtl: 1.5 }, /accessTokenTtl must be a whole number of seconds/],
    [{ serverUrl: "http://127.0.0.1:8000", refreshTokens: "yes" }, /refreshTokens must be true or false/],
    [{ serverUrl: "http://127.0.0.1:8000", logger: {} }, /logger must have a warn\(obj, msg\) method/],
  ])("refuses %j, naming the option", (options, message) => {
    expect(() => new DevOAuthProvider({ logger: quiet, ...options } as unknown as DevOAuthProviderOptions)).toThrow(
      message,
    );
  });

  test("accepts an https server URL on any host", () => {
    const provider = new DevOAuthProvider({ serverUrl: "https://mcp.example.com", logger: quiet });
    expect(provider.redirectUri).toBe("https://mcp.example.com/oauth/callback");
  });

  test("an unmounted provider has a client secret of its own: another IdP's tokens are not its", async () => {
    await withOAuthServer({}, async (a) => {
      const grant = await login(a.provider, "alice");
      const other = new DevOAuthProvider({ serverUrl: a.origin, logger: quiet });
      const err = await other.refreshTokens(grant.tokens).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "upstream_error" });
      expect((err as Error).message).toContain("HTTP 401");
    });
  });

  test("mounted with a token store, its client secret comes from the store's encryption key", async () => {
    const key = randomBytes(32).toString("base64");
    await withOAuthServer({ env: { OAUTH_ENCRYPTION_KEY: key } }, async (a) => {
      const grant = await login(a.provider, "alice");
      // Another provider for the same IdP, mounted elsewhere on a store with the same key: a's IdP accepts it.
      const twin = await mountedWithKey(a.origin, key);
      const refreshed = await twin.refreshTokens(grant.tokens);
      expect(refreshed.refreshToken).not.toBe(grant.tokens.refreshToken);
      // With another key, the secret differs: 401 invalid_client.
      const stranger = await mountedWithKey(a.origin, randomBytes(32).toString("base64"));
      const err = await stranger.refreshTokens(refreshed).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "upstream_error" });
      expect((err as Error).message).toContain("HTTP 401");
    });
  });
});

describe("the start-up warning", () => {
  test("goes to the logger: any username, not for production", () => {
    const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    new DevOAuthProvider({
      serverUrl: "http://127.0.0.1:8000",
      logger: { warn: (obj, msg) => warnings.push({ obj, msg }) },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/accepts any username/);
    expect(warnings[0]?.msg).toMatch(/never use it in production/);
    expect(warnings[0]?.obj).toEqual({ provider: "dev", serverUrl: "http://127.0.0.1:8000" });
  });

  test("defaults to a single line on stderr", () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
    new DevOAuthProvider({ serverUrl: "http://127.0.0.1:8000" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    expect(lines[0]).toMatch(/^\[chuk-mcp\] WARNING: DevOAuthProvider .*accepts any username.*production/);
  });
});

describe("inside OAuthMiddleware", () => {
  test("is mounted next to our endpoints and completes the upstream flow", async () => {
    await withOAuthServer({}, async (server) => {
      const page = await fetch(`${server.origin}/dev-idp/authorize`);
      // Mounted (it answers), and refuses a request without our client and redirect URI.
      expect(page.status).toBe(400);
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      const grant = await login(server.provider, "alice");
      expect(grant.identity.userId).toBe("dev:alice");
      expect(server.provider.counters.authorization_code).toBe(1);
    });
  });
});
