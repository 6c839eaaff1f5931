/**
 * The templates `chuk-mcp init` offers. Each is a stack of folders under
 * apps/cli/templates/ (`common` first, then the template's own, whose files
 * win), plus the chuk-mcp packages its server imports.
 */

export type FrameworkPackage =
  | "@chuk-mcp/server"
  | "@chuk-mcp/oauth"
  | "@chuk-mcp/providers-google-drive"
  | "@chuk-mcp/providers-linkedin"
  | "@chuk-mcp/providers-github";

export interface Template {
  name: string;
  /** One line for `chuk-mcp init --help` and errors. */
  summary: string;
  /** Folders under templates/, in order. */
  layers: readonly string[];
  /** The chuk-mcp packages it depends on. */
  packages: readonly FrameworkPackage[];
  /** Whether its tools need an OAuth login (HTTP only; .env.example). */
  oauth: boolean;
  /** Values of the template's own `{{placeholders}}`. */
  placeholders?: Readonly<Record<string, string>>;
}

export const TEMPLATES: readonly Template[] = [
  {
    name: "basic",
    summary: "a small server with a couple of tools, a resource and a prompt (STDIO and HTTP)",
    layers: ["common", "basic"],
    packages: ["@chuk-mcp/server"],
    oauth: false,
  },
  {
    name: "oauth",
    summary: "tools protected by the built-in OAuth 2.1 server, with the development login provider",
    layers: ["common", "oauth"],
    packages: ["@chuk-mcp/server", "@chuk-mcp/oauth"],
    oauth: true,
  },
  {
    name: "google-drive",
    summary: "users sign in with Google; the ready Google Drive tools (@chuk-mcp/providers-google-drive)",
    layers: ["common", "provider", "google-drive"],
    packages: ["@chuk-mcp/server", "@chuk-mcp/oauth", "@chuk-mcp/providers-google-drive"],
    oauth: true,
    placeholders: {
      providerName: "Google",
      envPrefix: "GOOGLE",
      consoleUrl: "https://console.cloud.google.com/apis/credentials",
      toolNames: "drive_create_text_file drive_list_files drive_read_file echo",
      protectedTool: "drive_list_files",
      protectedScope: "drive.read",
    },
  },
  {
    name: "linkedin",
    summary: "users sign in with LinkedIn; the ready profile and posting tools (@chuk-mcp/providers-linkedin)",
    layers: ["common", "provider", "linkedin"],
    packages: ["@chuk-mcp/server", "@chuk-mcp/oauth", "@chuk-mcp/providers-linkedin"],
    oauth: true,
    placeholders: {
      providerName: "LinkedIn",
      envPrefix: "LINKEDIN",
      consoleUrl: "https://www.linkedin.com/developers/apps",
      toolNames: "echo linkedin_profile linkedin_publish_post",
      protectedTool: "linkedin_profile",
      protectedScope: "profile.read",
    },
  },
  {
    name: "github",
    summary: "users sign in with GitHub; the ready GitHub tools (@chuk-mcp/providers-github)",
    layers: ["common", "provider", "github"],
    packages: ["@chuk-mcp/server", "@chuk-mcp/oauth", "@chuk-mcp/providers-github"],
    oauth: true,
    placeholders: {
      providerName: "GitHub",
      envPrefix: "GITHUB",
      consoleUrl: "https://github.com/settings/developers",
      toolNames: "echo github_create_issue github_list_repositories github_whoami",
      protectedTool: "github_list_repositories",
      protectedScope: "github.read",
    },
  },
];

export const DEFAULT_TEMPLATE = "basic";

export function findTemplate(name: string): Template | undefined {
  return TEMPLATES.find((t) => t.name === name);
}
