/**
 * Google Drive over MCP: users sign in with Google; the ready tools list,
 * read and create files in their Drive. See docs/oauth/google-drive.md.
 *
 * Set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (an OAuth client of type
 * "Web application" at https://console.cloud.google.com/apis/credentials,
 * with the redirect URI http://localhost:8000/oauth/callback). Optional:
 * PORT (default 8000), OAUTH_SERVER_URL (default http://localhost:$PORT),
 * GOOGLE_REDIRECT_URI (default $OAUTH_SERVER_URL/oauth/callback).
 */

import { registerGoogleDriveTools, setupGoogleDriveOAuth } from "@chuk-mcp/providers-google-drive";
import { getMcpServer, run } from "@chuk-mcp/server";

registerGoogleDriveTools(getMcpServer());
await run({ transport: "http", postRegisterHook: setupGoogleDriveOAuth(getMcpServer()) });
