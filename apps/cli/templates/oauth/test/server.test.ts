/**
 * Starts the server as a client would (a child process over HTTP) and calls
 * it with the official MCP SDK client: the public tool answers; a protected
 * one is refused with HTTP 401 and the challenge that starts a client's
 * OAuth login.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type StartedServer, startHttpServer } from "./start-server.js";

let server: StartedServer;
beforeAll(async () => {
  server = await startHttpServer();
}, 30_000);
afterAll(() => server?.close());

/** An SDK client without a login that remembers the last WWW-Authenticate challenge it got. */
async function connect(): Promise<{ client: Client; challenge: () => string | null }> {
  let challenge: string | null = null;
  const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 401) challenge = response.headers.get("www-authenticate");
      return response;
    },
  });
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(transport);
  return { client, challenge: () => challenge };
}

test("the public tool answers without a login", async () => {
  const { client } = await connect();
  try {
    const result = await client.callTool({ name: "echo", arguments: { text: "hello" } });
    expect(result.content).toEqual([{ type: "text", text: "hello" }]);
  } finally {
    await client.close();
  }
});

test("a protected tool answers 401 with a challenge pointing at the OAuth metadata", async () => {
  const { client, challenge } = await connect();
  try {
    const refused = await client.callTool({ name: "save_note", arguments: { text: "hi" } }).catch((err) => err);
    expect(refused).toBeInstanceOf(StreamableHTTPError);
    expect((refused as StreamableHTTPError).code).toBe(401);
    expect(challenge()).toMatch(/^Bearer /);
    expect(challenge()).toContain(`resource_metadata="${server.origin}/.well-known/oauth-protected-resource/mcp"`);
    expect(challenge()).toContain('scope="notes.write"');
  } finally {
    await client.close();
  }

  // What a client reads next: this server is its own authorization server.
  const resource = await (await fetch(`${server.origin}/.well-known/oauth-protected-resource/mcp`)).json();
  expect(resource).toMatchObject({ resource: server.mcpUrl, authorization_servers: [server.origin] });
  const metadata = await (await fetch(`${server.origin}/.well-known/oauth-authorization-server`)).json();
  expect(metadata).toMatchObject({ issuer: server.origin, code_challenge_methods_supported: ["S256"] });
});
