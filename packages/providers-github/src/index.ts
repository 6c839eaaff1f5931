/**
 * @chuk-mcp/providers-github — GitHub as the upstream of chuk-mcp's OAuth
 * authorization server, in one line, plus ready tools that call GitHub's
 * REST API as the signed-in user:
 *
 * ```ts
 * import { registerGitHubTools, setupGitHubOAuth } from "@chuk-mcp/providers-github";
 * import { getMcpServer, run } from "@chuk-mcp/server";
 *
 * registerGitHubTools(getMcpServer());
 * await run({ transport: "http", postRegisterHook: setupGitHubOAuth(getMcpServer()) });
 * ```
 */
export {
  GITHUB_API_URL,
  GITHUB_API_VERSION,
  GitHubApiError,
  type GitHubApiSettings,
  type GitHubValidationError,
} from "./api.js";
export {
  GITHUB_AUTHORIZATION_URL,
  GITHUB_DEFAULT_SCOPES,
  GITHUB_DEFAULT_USER_AGENT,
  GITHUB_TOKEN_URL,
  GitHubOAuthProvider,
  type GitHubOAuthProviderOptions,
} from "./github-provider.js";
export { GITHUB_CREDENTIALS, GITHUB_MCP_SCOPES, type GitHubSetupOptions, setupGitHubOAuth } from "./setup.js";
export {
  GITHUB_READ_SCOPE,
  GITHUB_WRITE_SCOPE,
  type GitHubToolsOptions,
  registerGitHubTools,
} from "./tools.js";
