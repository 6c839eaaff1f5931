/**
 * {{name}}: an MCP server whose users sign in with Google, with the ready
 * Google Drive tools (drive_list_files and drive_read_file need the
 * drive.read scope, drive_create_text_file needs drive.write), and room for
 * your own.
 *
 * Needs GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, from the environment or a
 * .env file: see README.md for how to get them.
 */
import { existsSync } from "node:fs";
import { registerGoogleDriveTools, setupGoogleDriveOAuth } from "@chuk-mcp/providers-google-drive";
import { getMcpServer, run, tool } from "@chuk-mcp/server";
import { z } from "zod";

if (existsSync(".env")) process.loadEnvFile(".env");

// The default server, named after this project.
getMcpServer({ name: "{{name}}", version: "0.1.0" });

// The ready tools: each calls Google Drive with the signed-in user's Google token.
registerGoogleDriveTools(getMcpServer());

// Your own tools go next to them. This one is public; see README.md for a protected one.
tool(
  "echo",
  { description: "Returns the text it is given. Public.", input: { text: z.string().describe("Text to echo") } },
  ({ text }) => text,
);

// Google sign-in in one line: our OAuth 2.1 server for MCP clients, with Google as the login.
// It stops at once, naming what to set, when GOOGLE_CLIENT_ID or GOOGLE_CLIENT_SECRET is missing.
await run({ transport: "http", postRegisterHook: setupGoogleDriveOAuth(getMcpServer()) });
