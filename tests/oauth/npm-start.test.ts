/**
 * `npm start` smoke test: the root start script runs examples/oauth-demo, and
 * the demo, started as that script starts it (`node examples/oauth-demo/dist/main.js`
 * with PORT), says where to connect, publishes its metadata under the URL
 * it listens on, serves the public tool, challenges a protected call the way
 * MCP clients expect, and keeps the loopback-only Host/Origin checks.
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "../helpers/everything.js";
import { freePort } from "../helpers/free-port.js";
import { jsonOf, modernBody, modernPost } from "../helpers/mcp-http.js";
import { startOAuthDemo, useOAuthDemo } from "../helpers/oauth-demo.js";

const scriptsOf = (path: string) =>
  (JSON.parse(readFileSync(join(ROOT, path), "utf8")) as { scripts: Record<string, string> }).scripts;

test("the root `npm start` builds, then runs the OAuth demo; the everything example has its own script", () => {
  const root = scriptsOf("package.json");
  expect(root.prestart).toBe("npm run build");
  expect(root.start).toBe("npm run -s start -w examples/oauth-demo");
  expect(scriptsOf("examples/oauth-demo/package.json").start).toBe("node dist/main.js");
  expect(root["start:everything"]).toBe("npm run -s start -w examples/everything");
  expect(root["prestart:everything"]).toBe("npm run build");
});

describe("the demo as `npm start` runs it", () => {
  const demo = useOAuthDemo();

  test("logs where to connect (http://localhost:<PORT>/mcp) and how, and warns that the login is for development", () => {
    const messages = demo.logs().map((r) => ({ level: r.level, msg: String(r.msg) }));
    expect(messages).toContainEqual({ level: 30, msg: `OAuth demo: connect an MCP client to ${demo.mcpUrl}` });
    const hint = messages.find((m) => m.msg.includes("@modelcontextprotocol/inspector"));
    expect(hint?.msg).toContain(demo.mcpUrl);
    expect(hint?.msg).toContain(`--transport http --server-url ${demo.mcpUrl}`);
    const warning = messages.find((m) => m.msg.includes("DevOAuthProvider"));
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toContain("never use it in production");
  });

  test("protected resource metadata names the MCP URL, the issuer and the demo's scopes", async () => {
    const res = await fetch(`${demo.origin}/.well-known/oauth-protected-resource/mcp`);
    expect(res.status).toBe(200);
    const prm = (await res.json()) as Record<string, unknown>;
    expect(prm.resource).toBe(demo.mcpUrl);
    expect(prm.authorization_servers).toEqual([demo.origin]);
    expect(prm.scopes_supported).toEqual(expect.arrayContaining(["posts.write", "profile.read"]));
  });

  test("authorization server metadata: the issuer follows PORT; S256 only", async () => {
    const res = await fetch(`${demo.origin}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    const as = (await res.json()) as Record<string, unknown>;
    expect(as.issuer).toBe(demo.origin);
    expect(as.authorization_endpoint).toBe(`${demo.origin}/oauth/authorize`);
    expect(as.token_endpoint).toBe(`${demo.origin}/oauth/token`);
    expect(as.registration_endpoint).toBe(`${demo.origin}/oauth/register`);
    expect(as.code_challenge_methods_supported).toEqual(["S256"]);
  });

  test("echo is public; whoami and publish_post without a token are 401 with the Bearer challenge", async () => {
    const echo = await jsonOf(
      await modernPost(demo.mcpUrl, modernBody("tools/call", { name: "echo", arguments: { text: "hi" } })),
      200,
    );
    expect(echo.result?.content).toEqual([{ type: "text", text: "hi" }]);

    const metadata = `resource_metadata="${demo.origin}/.well-known/oauth-protected-resource/mcp"`;
    const whoami = await modernPost(demo.mcpUrl, modernBody("tools/call", { name: "whoami", arguments: {} }));
    expect(whoami.status).toBe(401);
    const challenge = whoami.headers.get("www-authenticate") ?? "";
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(metadata);
    expect(challenge).not.toContain("error=");

    const publish = await modernPost(
      demo.mcpUrl,
      modernBody("tools/call", { name: "publish_post", arguments: { content: "x" } }),
    );
    expect(publish.status).toBe(401);
    expect(publish.headers.get("www-authenticate")).toContain(metadata);
    expect(publish.headers.get("www-authenticate")).toContain('scope="posts.write"');
  });

  test("the MCP endpoint still accepts only loopback Host and Origin headers", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify(modernBody("tools/call", { name: "echo", arguments: { text: "x" } }));
      const req = request(
        {
          host: "127.0.0.1",
          port: demo.port,
          path: "/mcp",
          method: "POST",
          headers: {
            host: `attacker.example:${demo.port}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": "tools/call",
            "mcp-name": "echo",
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(status).toBe(403);

    const foreignOrigin = await modernPost(
      demo.mcpUrl,
      modernBody("tools/call", { name: "echo", arguments: { text: "x" } }),
      { origin: "https://attacker.example" },
    );
    expect(foreignOrigin.status).toBe(403);
  });
});

test("OAUTH_SERVER_URL overrides the issuer: metadata and the logged URL follow it", async () => {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const demo = await startOAuthDemo({ PORT: String(port), OAUTH_SERVER_URL: issuer });
  try {
    const prm = (await (await fetch(`${issuer}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<
      string,
      unknown
    >;
    expect(prm.resource).toBe(`${issuer}/mcp`);
    expect(prm.authorization_servers).toEqual([issuer]);
    expect(demo.stderr()).toContain(`OAuth demo: connect an MCP client to ${issuer}/mcp`);
  } finally {
    await demo.close();
  }
});
