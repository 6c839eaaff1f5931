/**
 * LinkedIn sign-in and the ready LinkedIn tools (linkedin_profile,
 * linkedin_publish_post), in one line each.
 *
 * Set LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET (an app at
 * https://www.linkedin.com/developers/apps with the products "Sign In with
 * LinkedIn using OpenID Connect" and "Share on LinkedIn", and the redirect URL
 * http://localhost:8000/oauth/callback). Optional: PORT (default 8000),
 * OAUTH_SERVER_URL (default http://localhost:$PORT), LINKEDIN_REDIRECT_URI,
 * LINKEDIN_UPSTREAM_URL (a local stand-in instead of LinkedIn). See docs/oauth/linkedin.md.
 */
import { registerLinkedInTools, setupLinkedInOAuth } from "@chuk-mcp/providers-linkedin";
import { getMcpServer, run } from "@chuk-mcp/server";

registerLinkedInTools(getMcpServer());
await run({ transport: "http", postRegisterHook: setupLinkedInOAuth(getMcpServer()) });
