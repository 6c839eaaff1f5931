/**
 * @chuk-mcp/providers-linkedin — LinkedIn sign-in (OpenID Connect) with
 * posting for chuk-mcp servers, and ready LinkedIn tools.
 *
 * ```ts
 * import { registerLinkedInTools, setupLinkedInOAuth } from "@chuk-mcp/providers-linkedin";
 * import { getMcpServer, run } from "@chuk-mcp/server";
 *
 * registerLinkedInTools(getMcpServer());
 * await run({ transport: "http", postRegisterHook: setupLinkedInOAuth(getMcpServer()) });
 * ```
 */
export {
  LINKEDIN_ACCESS_TOKEN_LIFETIME_SECONDS,
  LINKEDIN_API_URL,
  LINKEDIN_AUTHORIZATION_URL,
  LINKEDIN_DEFAULT_SCOPES,
  LINKEDIN_ISSUER,
  LINKEDIN_TOKEN_URL,
  LINKEDIN_USERINFO_URL,
  LinkedInOAuthProvider,
  type LinkedInOAuthProviderOptions,
} from "./linkedin-provider.js";
export {
  LINKEDIN_CREDENTIALS,
  LINKEDIN_TOOL_SCOPES,
  type LinkedInSetupOptions,
  setupLinkedInOAuth,
} from "./setup.js";
export {
  escapeLittleText,
  LINKEDIN_API_VERSION,
  type LinkedInProfile,
  type LinkedInPublishedPost,
  type LinkedInToolsOptions,
  registerLinkedInTools,
} from "./tools.js";
