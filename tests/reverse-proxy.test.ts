/**
 * Behind a reverse proxy, under a path prefix. A tiny proxy on loopback
 * forwards `/tenant-a/*` to examples/oauth-demo (a child process) with the
 * prefix stripped and `X-Forwarded-Proto|Host|Prefix|For` set, as nginx would,
 * and forwards the path-inserted well-known URLs (RFC 8414 §3.1, RFC 9728
 * §3.1) unchanged. The demo runs with `OAUTH_SERVER_URL=<proxy>/tenant-a` and
 * `TRUST_PROXY=loopback`: metadata, challenges, redirects, forms and token
 * audiences name the public URL only, and an SDK 1.x client that knows only
 * `<proxy>/tenant-a/mcp` logs in and calls protected tools. Then the Host
 * check: `X-Forwarded-Host` counts only from a trusted proxy.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ChukMCPServer, createHttpApp, type HttpApp } from "@chuk-mcp/server";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseForms } from "../packages/oauth/test/helpers/browser.js";
import { listenOnLoopback } from "../packages/oauth/test/helpers/loopback-server.js";
import { freePort } from "./helpers/free-port.js";
import { headersFor, modernBody, modernPost } from "./helpers/mcp-http.js";
import { Sdk1OAuthClient, structured } from "./helpers/oauth-client.js";
import { type RunningDemo, startOAuthDemo } from "./helpers/oauth-demo.js";
import { headlessOAuthClient } from "./helpers/oauth-login.js";

const PREFIX = "/tenant-a";
/** Forwarded as they are: the path-inserted forms of the issuer's and the resource's metadata. */
const UNCHANGED = new Set([
  `/.well-known/oauth-authorization-server${PREFIX}`,
  `/.well-known/openid-configuration${PREFIX}`,
  `/.well-known/oauth-protected-resource${PREFIX}/mcp`,
]);
const REDIRECT = "http://127.0.0.1:47614/callback";
const MISMATCH = /a trusted proxy forwards this server as/;

interface Proxy {
  port: number;
  /** Every path the proxy received, in order. */
  paths: string[];
  close(): Promise<void>;
}

/** A reverse proxy on loopback in front of 127.0.0.1:`upstreamPort`, as the nginx configuration in docs/deployment.md. */
async function startProxy(upstreamPort: number): Promise<Proxy> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy.invalid");
    paths.push(url.pathname);
    let path: string;
    let prefix: string | undefined;
    if (url.pathname === PREFIX || url.pathname.startsWith(`${PREFIX}/`)) {
      path = url.pathname.slice(PREFIX.length) || "/";
      prefix = PREFIX;
    } else if (UNCHANGED.has(url.pathname)) path = url.pathname;
    else {
      res.writeHead(404).end();
      return;
    }
    const headers: IncomingHttpHeaders = {
      ...req.headers,
      // nginx's default: the upstream's own Host; the public one goes in X-Forwarded-Host.
      host: `127.0.0.1:${upstreamPort}`,
      "x-forwarded-host": req.headers.host,
      "x-forwarded-proto": "http",
      "x-forwarded-for": [req.headers["x-forwarded-for"], req.socket.remoteAddress].filter(Boolean).join(", "),
    };
    delete headers.connection;
    if (prefix !== undefined) headers["x-forwarded-prefix"] = prefix;
    const upstream = httpRequest(
      { host: "127.0.0.1", port: upstreamPort, method: req.method, path: `${path}${url.search}`, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // Streamed, not buffered: SSE answers reach the client as they are written.
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const { port, close } = await listenOnLoopback(server);
  return { port, paths, close };
}

/** A raw HTTP request (fetch will not set Host), answered with status, headers and body. */
function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: options.headers ?? {} },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Every string in a JSON document that looks like a URL. */
function urlsIn(value: unknown): string[] {
  if (typeof value === "string") return /^https?:\/\//.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(urlsIn);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(urlsIn);
  return [];
}

const payloadOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;

describe("the OAuth demo behind a reverse proxy, under /tenant-a", () => {
  let proxy: Proxy;
  let demo: RunningDemo;
  let publicBase: string;
  let publicMcp: string;

  beforeAll(async () => {
    const demoPort = await freePort();
    proxy = await startProxy(demoPort);
    publicBase = `http://127.0.0.1:${proxy.port}${PREFIX}`;
    publicMcp = `${publicBase}/mcp`;
    demo = await startOAuthDemo({ PORT: String(demoPort), OAUTH_SERVER_URL: publicBase, TRUST_PROXY: "loopback" });
  });
  afterAll(async () => {
    await demo?.close();
    await proxy?.close();
  });

  const warnings = () => demo.logs().filter((r) => MISMATCH.test(String(r.msg)));

  test("the metadata, at every form a client tries, names only public URLs", async () => {
    const origin = `http://127.0.0.1:${proxy.port}`;
    const documents: Record<string, unknown>[] = [];
    for (const url of [
      `${origin}/.well-known/oauth-authorization-server${PREFIX}`,
      `${origin}/.well-known/openid-configuration${PREFIX}`,
      `${publicBase}/.well-known/oauth-authorization-server`,
      `${publicBase}/.well-known/openid-configuration`,
    ]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.issuer, url).toBe(publicBase);
      documents.push(body);
    }
    for (const url of [
      `${origin}/.well-known/oauth-protected-resource${PREFIX}/mcp`,
      `${publicBase}/.well-known/oauth-protected-resource/mcp`,
    ]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body, url).toMatchObject({ resource: publicMcp, authorization_servers: [publicBase] });
      documents.push(body);
    }
    const urls = documents.flatMap(urlsIn);
    expect(urls.length).toBeGreaterThan(10);
    for (const url of urls) expect(url.startsWith(`${publicBase}/`) || url === publicBase, url).toBe(true);
    expect(JSON.stringify(documents)).not.toContain(`:${demo.port}`);
  });

  test("the 401 challenge points at public metadata, fetchable through the proxy", async () => {
    const res = await modernPost(publicMcp, modernBody("tools/call", { name: "whoami", arguments: {} }));
    expect(res.status).toBe(401);
    const challenge = res.headers.get("www-authenticate") ?? "";
    const resourceMetadata = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(resourceMetadata).toBe(`${publicBase}/.well-known/oauth-protected-resource/mcp`);
    const document = await fetch(resourceMetadata as string);
    expect(document.status).toBe(200);
    expect(await document.json()).toMatchObject({ resource: publicMcp, authorization_servers: [publicBase] });
  });

  test("an SDK 1.x client given only the public URL logs in (consent + development login through the proxy) and calls protected tools", async () => {
    const c = headlessOAuthClient(Sdk1OAuthClient, StreamableHTTPClientTransport, {
      mcpUrl: publicMcp,
      redirectUrl: REDIRECT,
      clientName: "chuk e2e behind a proxy",
      username: "ada",
    });
    const client = new Client({ name: "behind a proxy", version: "1.0.0" });
    await client.connect(c.transport);
    try {
      await expect(client.callTool({ name: "whoami", arguments: {} })).rejects.toBeInstanceOf(UnauthorizedError);
      const authorizeUrl = c.oauth.authorizationUrls[0] as URL;
      expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${publicBase}/oauth/authorize`);
      expect(authorizeUrl.searchParams.get("resource")).toBe(publicMcp);

      // Every page, form and redirect of the login stayed under the public prefix.
      const login = c.logins[0];
      expect([login?.consented, login?.loggedIn, login?.error]).toEqual([true, true, null]);
      expect(login?.iss).toBe(publicBase);
      for (const page of login?.pages ?? []) {
        expect(page.url.href.startsWith(`${publicBase}/`), page.url.href).toBe(true);
        if (page.location !== undefined && !page.location.href.startsWith(REDIRECT)) {
          expect(page.location.href.startsWith(`${publicBase}/`), page.location.href).toBe(true);
        }
        for (const form of parseForms(page.html, page.url)) {
          expect(form.action.href.startsWith(`${publicBase}/`), form.action.href).toBe(true);
        }
      }
      const formPages = (login?.pages ?? []).filter((p) => parseForms(p.html, p.url).length > 0);
      expect(formPages.map((p) => p.url.pathname)).toEqual([`${PREFIX}/oauth/consent`, `${PREFIX}/dev-idp/authorize`]);

      await c.transport.finishAuth(c.oauth.code());
      const token = c.oauth.currentTokens?.access_token as string;
      expect(payloadOf(token)).toMatchObject({ iss: publicBase, aud: publicMcp });

      const who = structured(await client.callTool({ name: "whoami", arguments: {} }));
      expect(who.userId).toBe("dev:ada");
      // The demo calls the development provider's API at its public URL: through the proxy too.
      const post = structured(await client.callTool({ name: "publish_post", arguments: { content: "via the proxy" } }));
      expect(post).toMatchObject({ content: "via the proxy", author: { id: "dev:ada" } });

      // The client never saw the demo's own address.
      for (const r of c.requests) expect(r.url.port, r.url.href).toBe(String(proxy.port));
      expect(proxy.paths).toContain(`${PREFIX}/dev-idp/token`);
    } finally {
      await client.close();
    }
  });

  test("no misconfiguration warning while the proxy and the issuer agree", () => {
    expect(warnings()).toEqual([]);
  });

  test("a trusted proxy's X-Forwarded-Host is what the Host check sees", async () => {
    const body = modernBody("server/discover");
    const headers = { ...headersFor(body), host: `127.0.0.1:${demo.port}` };
    const viaProxy = await rawRequest(demo.port, {
      method: "POST",
      path: "/mcp",
      headers: { ...headers, "x-forwarded-host": `127.0.0.1:${proxy.port}` },
      body: JSON.stringify(body),
    });
    expect(viaProxy.status).toBe(200);
    const rebinding = await rawRequest(demo.port, {
      method: "POST",
      path: "/mcp",
      headers: { ...headers, "x-forwarded-host": "evil.example" },
      body: JSON.stringify(body),
    });
    expect(rebinding.status).toBe(403);
    expect(rebinding.body).toContain("Invalid Host: evil.example");
  });

  test("a trusted proxy reporting another public URL than the issuer: one warning naming both", async () => {
    for (const prefix of ["/tenant-b", "/tenant-c"]) {
      const res = await rawRequest(demo.port, {
        path: "/.well-known/oauth-authorization-server",
        headers: { "x-forwarded-host": "mcp.example.com", "x-forwarded-proto": "https", "x-forwarded-prefix": prefix },
      });
      // Nothing changes for the request: the issuer stays as configured.
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).issuer).toBe(publicBase);
    }
    const found = warnings();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ issuer: publicBase, publicUrl: "https://mcp.example.com/tenant-b" });
  });
});

describe("the Host check and X-Forwarded-Host", () => {
  const PUBLIC_HOST = "mcp.example.com";
  const body = JSON.stringify(modernBody("server/discover"));
  let untrusted: HttpApp;
  let trusted: HttpApp;
  const portOf = (http: HttpApp) => (http.app.server.address() as AddressInfo).port;

  async function start(trustProxy: string | undefined): Promise<HttpApp> {
    const server = new ChukMCPServer("proxy-host-check", { logLevel: "silent" });
    server.endpoint("GET", "/whoami-ip", async (req) => ({ ip: req.ip, host: req.host, protocol: req.protocol }));
    const http = await createHttpApp(server, {
      bindHost: "127.0.0.1",
      allowedHosts: [PUBLIC_HOST],
      ...(trustProxy === undefined ? {} : { trustProxy }),
    });
    await http.app.listen({ host: "127.0.0.1", port: 0 });
    return http;
  }
  const discover = (http: HttpApp, headers: Record<string, string>) =>
    rawRequest(portOf(http), {
      method: "POST",
      path: "/mcp",
      headers: { ...headersFor(modernBody("server/discover")), ...headers },
      body,
    });

  beforeAll(async () => {
    untrusted = await start(undefined);
    trusted = await start("loopback");
  });
  afterAll(async () => {
    await untrusted?.close();
    await trusted?.close();
  });

  test("without trustProxy, a forged X-Forwarded-Host cannot pass the Host check", async () => {
    const forged = await discover(untrusted, { host: "127.0.0.1", "x-forwarded-host": PUBLIC_HOST });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain("Invalid Host: 127.0.0.1");
    expect((await discover(untrusted, { host: PUBLIC_HOST })).status).toBe(200);
    const seen = await rawRequest(portOf(untrusted), {
      path: "/whoami-ip",
      headers: { host: PUBLIC_HOST, "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" },
    });
    expect(JSON.parse(seen.body)).toEqual({ ip: "127.0.0.1", host: PUBLIC_HOST, protocol: "http" });
  });

  test("from a trusted proxy, X-Forwarded-Host is checked (and the same-origin Origin check uses it); req.ip is the client's", async () => {
    expect((await discover(trusted, { host: "127.0.0.1", "x-forwarded-host": PUBLIC_HOST })).status).toBe(200);
    const refused = await discover(trusted, { host: PUBLIC_HOST, "x-forwarded-host": "evil.example" });
    expect(refused.status).toBe(403);
    const sameOrigin = await discover(trusted, {
      host: "127.0.0.1",
      "x-forwarded-host": PUBLIC_HOST,
      origin: `https://${PUBLIC_HOST}`,
    });
    expect(sameOrigin.status).toBe(200);
    const crossOrigin = await discover(trusted, {
      host: "127.0.0.1",
      "x-forwarded-host": PUBLIC_HOST,
      origin: "https://evil.example",
    });
    expect(crossOrigin.status).toBe(403);
    const seen = await rawRequest(portOf(trusted), {
      path: "/whoami-ip",
      headers: {
        host: "127.0.0.1",
        "x-forwarded-host": PUBLIC_HOST,
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-proto": "https",
      },
    });
    expect(JSON.parse(seen.body)).toEqual({ ip: "203.0.113.7", host: PUBLIC_HOST, protocol: "https" });
  });
});
