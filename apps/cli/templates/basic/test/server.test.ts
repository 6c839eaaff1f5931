/**
 * Starts the server as a client would and calls its tools with the official
 * MCP SDK client, over STDIO and over HTTP.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test } from "vitest";
import { SERVER_ARGS, SERVER_COMMAND, SERVER_CWD, serverEnv, startHttpServer } from "./start-server.js";

test("over STDIO: lists the tools and calls them", { timeout: 30_000 }, async () => {
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: SERVER_COMMAND,
      args: SERVER_ARGS,
      cwd: SERVER_CWD,
      env: serverEnv({ MCP_TRANSPORT: "stdio" }),
    }),
  );
  try {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["add", "hello"]);

    const hello = await client.callTool({ name: "hello", arguments: { name: "Ada" } });
    expect(hello.content).toEqual([{ type: "text", text: "Hello, Ada!" }]);

    const add = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(add.structuredContent).toEqual({ sum: 5 });

    // A bad argument comes back as an error result, not a crash.
    const bad = await client.callTool({ name: "add", arguments: { a: "two", b: 3 } });
    expect(bad.isError).toBe(true);
  } finally {
    await client.close();
  }
});

test("over HTTP: calls a tool", { timeout: 30_000 }, async () => {
  const server = await startHttpServer();
  const client = new Client({ name: "test", version: "1.0.0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl)));
    const result = await client.callTool({ name: "hello", arguments: { name: "HTTP" } });
    expect(result.content).toEqual([{ type: "text", text: "Hello, HTTP!" }]);
  } finally {
    await client.close();
    await server.close();
  }
});
