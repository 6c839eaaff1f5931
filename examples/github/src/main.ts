/**
 * An MCP server whose users sign in with GitHub, with the ready GitHub tools
 * (github_whoami, github_list_repositories, github_create_issue).
 *
 * Set, from your OAuth app at https://github.com/settings/developers (its
 * callback URL: http://localhost:8000/oauth/callback):
 *   GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET
 * Optional: PORT (default 8000), OAUTH_SERVER_URL (default http://localhost:$PORT),
 *   GITHUB_REDIRECT_URI (default $OAUTH_SERVER_URL/oauth/callback),
 *   GITHUB_UPSTREAM_URL (a local stand-in instead of github.com, for tests).
 * Then connect an MCP client to http://localhost:8000/mcp.
 */
import { registerGitHubTools, setupGitHubOAuth } from "@chuk-mcp/providers-github";
import { getMcpServer, run } from "@chuk-mcp/server";

registerGitHubTools(getMcpServer());
await run({ transport: "http", postRegisterHook: setupGitHubOAuth(getMcpServer()) });
