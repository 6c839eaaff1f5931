/**
 * {{name}}: an MCP server whose users sign in with GitHub, with the ready
 * GitHub tools (github_whoami needs a login, github_list_repositories the
 * github.read scope, github_create_issue github.write), and room for your own.
 *
 * Needs GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, from the environment or a
 * .env file: see README.md for how to get them.
 */
import { existsSync } from "node:fs";
import { registerGitHubTools, setupGitHubOAuth } from "@chuk-mcp/providers-github";
import { getMcpServer, run, tool } from "@chuk-mcp/server";
import { z } from "zod";

if (existsSync(".env")) process.loadEnvFile(".env");

// The default server, named after this project.
getMcpServer({ name: "{{name}}", version: "0.1.0" });

// The ready tools: each calls GitHub's REST API with the signed-in user's GitHub token.
registerGitHubTools(getMcpServer());

// Your own tools go next to them. This one is public; see README.md for a protected one.
tool(
  "echo",
  { description: "Returns the text it is given. Public.", input: { text: z.string().describe("Text to echo") } },
  ({ text }) => text,
);

// GitHub sign-in in one line: our OAuth 2.1 server for MCP clients, with GitHub as the login.
// It stops at once, naming what to set, when GITHUB_CLIENT_ID or GITHUB_CLIENT_SECRET is missing.
await run({ transport: "http", postRegisterHook: setupGitHubOAuth(getMcpServer()) });
