/**
 * {{name}}: an MCP server whose tools are protected by the built-in OAuth 2.1
 * authorization server.
 *
 * MCP clients (Claude, VS Code, the MCP Inspector, the SDKs) discover it,
 * register and send the user to log in; here the login is the development
 * provider's page (`/dev-idp/`), which accepts any username. Swap it for a
 * real provider (Google, GitHub, LinkedIn, any OpenID Connect issuer) before
 * going to production: see README.md.
 *
 * - `echo` is public;
 * - `whoami` needs a login;
 * - `save_note` needs the `notes.write` scope, `list_notes` needs `notes.read`.
 */
import { existsSync } from "node:fs";
import { DevOAuthProvider, OAuthMiddleware } from "@chuk-mcp/oauth";
import { ChukMCPServer, requiresAuth } from "@chuk-mcp/server";
import { z } from "zod";

// Settings from the environment, or from a .env file (see .env.example).
if (existsSync(".env")) process.loadEnvFile(".env");
const port = Number(process.env.PORT || 8000);
// This server's public URL: the OAuth issuer, and where clients are sent back to.
const serverUrl = (process.env.OAUTH_SERVER_URL || `http://localhost:${port}`).replace(/\/+$/, "");

const mcp = new ChukMCPServer("{{name}}", {
  version: "0.1.0",
  instructions: "echo is public; whoami, save_note and list_notes need a login.",
});

mcp.tool(
  "echo",
  { description: "Returns the text it is given. Public.", input: { text: z.string().describe("Text to echo") } },
  ({ text }) => text,
);

// requiresAuth: a call without a token gets HTTP 401 with a WWW-Authenticate
// challenge (which starts the client's login), before the handler runs.
mcp.tool(
  "whoami",
  {
    description: "Who the access token belongs to. Needs a login.",
    output: { user: z.string(), client: z.string(), scopes: z.array(z.string()) },
    annotations: { readOnlyHint: true },
  },
  requiresAuth({}, (_args, ctx) => ({
    user: ctx.auth.subject ?? "",
    client: ctx.auth.clientId,
    scopes: ctx.auth.scopes,
  })),
);

// Notes per user, in memory (a real server would use a database).
const notes = new Map<string, string[]>();

mcp.tool(
  "save_note",
  { description: "Saves a note for the logged-in user. Needs notes.write.", input: { text: z.string().min(1) } },
  // Without the scope: HTTP 403 insufficient_scope, naming it.
  requiresAuth({ scopes: ["notes.write"] }, ({ text }, ctx) => {
    const user = ctx.auth.subject ?? "";
    const mine = notes.get(user) ?? [];
    mine.push(text);
    notes.set(user, mine);
    return `saved note ${mine.length} for ${user}`;
  }),
);

mcp.tool(
  "list_notes",
  {
    description: "Lists the logged-in user's notes. Needs notes.read.",
    output: { notes: z.array(z.string()) },
    annotations: { readOnlyHint: true },
  },
  requiresAuth({ scopes: ["notes.read"] }, (_args, ctx) => ({ notes: notes.get(ctx.auth.subject ?? "") ?? [] })),
);

await mcp.run({
  // OAuth needs HTTP: STDIO has no place for a token.
  transport: "http",
  port,
  postRegisterHook: (server) =>
    new OAuthMiddleware({
      mcpServer: server,
      // The development provider: a local login page that accepts any username. Development only.
      provider: new DevOAuthProvider({ serverUrl, logger: server.logger }),
      oauthServerUrl: serverUrl,
      scopesSupported: ["notes.read", "notes.write"],
    }),
});
