/**
 * {{name}}: an MCP server whose users sign in with LinkedIn, with the ready
 * LinkedIn tools (linkedin_profile needs the profile.read scope,
 * linkedin_publish_post needs posts.write), and room for your own.
 *
 * Needs LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET, from the environment
 * or a .env file: see README.md for how to get them.
 */
import { existsSync } from "node:fs";
import { registerLinkedInTools, setupLinkedInOAuth } from "@chuk-mcp/providers-linkedin";
import { getMcpServer, run, tool } from "@chuk-mcp/server";
import { z } from "zod";

if (existsSync(".env")) process.loadEnvFile(".env");

// The default server, named after this project.
getMcpServer({ name: "{{name}}", version: "0.1.0" });

// The ready tools: each calls LinkedIn with the signed-in member's LinkedIn token.
registerLinkedInTools(getMcpServer());

// Your own tools go next to them. This one is public; see README.md for a protected one.
tool(
  "echo",
  { description: "Returns the text it is given. Public.", input: { text: z.string().describe("Text to echo") } },
  ({ text }) => text,
);

// LinkedIn sign-in in one line: our OAuth 2.1 server for MCP clients, with LinkedIn as the login.
// It stops at once, naming what to set, when LINKEDIN_CLIENT_ID or LINKEDIN_CLIENT_SECRET is missing.
await run({ transport: "http", postRegisterHook: setupLinkedInOAuth(getMcpServer()) });
