/**
 * @chuk-mcp/providers-google-drive — Google sign-in with Google Drive access
 * for a chuk-mcp server, in one line, plus ready Drive tools:
 *
 * ```ts
 * registerGoogleDriveTools(getMcpServer());
 * await run({ transport: "http", postRegisterHook: setupGoogleDriveOAuth(getMcpServer()) });
 * ```
 */
export {
  DEFAULT_MAX_READ_BYTES,
  type DriveCreatedFile,
  DriveError,
  type DriveErrorKind,
  type DriveFileList,
  type DriveFileSummary,
  type DriveTextFile,
  GoogleDriveClient,
  type GoogleDriveClientOptions,
  MAX_MULTIPART_UPLOAD_BYTES,
} from "./drive-api.js";
export {
  GOOGLE_AUTHORIZATION_ENDPOINT,
  GOOGLE_CONSOLE_URL,
  GOOGLE_DRIVE_API,
  GOOGLE_DRIVE_DEFAULT_SCOPES,
  GOOGLE_DRIVE_FILE_SCOPE,
  GOOGLE_DRIVE_UPLOAD_API,
  GOOGLE_ISSUER,
  GOOGLE_PROFILE_SCOPE,
  GOOGLE_REVOCATION_ENDPOINT,
  GOOGLE_TOKEN_ENDPOINT,
  GOOGLE_USERINFO_ENDPOINT,
  type GoogleDriveEndpoints,
  GoogleDriveOAuthProvider,
  type GoogleDriveOAuthProviderOptions,
  googleDriveEndpoints,
} from "./google-drive-provider.js";
export {
  GOOGLE_CREDENTIALS,
  GOOGLE_DRIVE_MCP_SCOPES,
  type GoogleDriveSetupOptions,
  setupGoogleDriveOAuth,
} from "./setup.js";
export {
  DRIVE_READ_SCOPE,
  DRIVE_WRITE_SCOPE,
  GOOGLE_DRIVE_TOOL_NAMES,
  type GoogleDriveToolsOptions,
  registerGoogleDriveTools,
} from "./tools.js";
