/**
 * {{name}}: an MCP server built with chuk-mcp.
 *
 * `npm run dev` serves it over Streamable HTTP at http://127.0.0.1:8000/mcp
 * (PORT and HOST change that); with MCP_TRANSPORT=stdio it talks over STDIO
 * instead, which is how Claude Desktop and VS Code start a local server.
 */
import { ChukMCPServer } from "@chuk-mcp/server";
import { z } from "zod";

const mcp = new ChukMCPServer("{{name}}", {
  version: "0.1.0",
  instructions: "Greets people and adds numbers.",
});

// A tool: its input is a zod schema (clients see JSON Schema); a string result is sent as text.
mcp.tool(
  "hello",
  {
    description: "Greets someone by name.",
    input: { name: z.string().describe("Who to greet") },
    annotations: { readOnlyHint: true },
  },
  ({ name }) => `Hello, ${name}!`,
);

// With an output schema, the result is checked and sent as structured content.
mcp.tool(
  "add",
  {
    description: "Adds two numbers.",
    input: { a: z.number().describe("First number"), b: z.number().describe("Second number") },
    output: { sum: z.number() },
    annotations: { readOnlyHint: true },
  },
  ({ a, b }) => ({ sum: a + b }),
);

// A resource and a prompt, for clients that show them.
mcp.resource("info://server", { name: "server-info", mimeType: "application/json" }, () =>
  JSON.stringify({ name: "{{name}}", startedAt: new Date().toISOString() }),
);
mcp.prompt(
  "greet",
  { description: "Asks the model to greet someone.", args: { name: z.string().describe("Who to greet") } },
  ({ name }) => `Use the hello tool to greet ${name}.`,
);

// HTTP on HOST:PORT (default 127.0.0.1:8000), or STDIO when MCP_TRANSPORT=stdio.
await mcp.run();
