/**
 * Ready tools that call GitHub's REST API as the signed-in user, with the
 * upstream token our authorization server keeps for them
 * (`ctx.auth.externalAccessToken`, refreshed first when it is about to
 * expire). GitHub's errors become tool errors that say what GitHub said;
 * a 401 says the user must authorize again.
 */
import { type CallToolResult, type ChukMCPServer, type RequestContext, requiresAuth } from "@chuk-mcp/server";
import { z } from "zod";
import {
  GITHUB_API_URL,
  GitHubApiError,
  type GitHubApiResponse,
  type GitHubApiSettings,
  githubApiRequest,
  linkPages,
} from "./api.js";
import { GITHUB_DEFAULT_USER_AGENT } from "./github-provider.js";

/** The MCP scope `github_list_repositories` needs. */
export const GITHUB_READ_SCOPE = "github.read";
/** The MCP scope `github_create_issue` needs. */
export const GITHUB_WRITE_SCOPE = "github.write";

/** Options of `registerGitHubTools`. */
export interface GitHubToolsOptions {
  /**
   * The REST API base. Default: the one `setupGitHubOAuth` resolved for the
   * same server (a stand-in with `GITHUB_UPSTREAM_URL`), else `https://api.github.com`.
   */
  apiUrl?: string;
  /** The `User-Agent` of API requests. Default: the setup's, else `GITHUB_DEFAULT_USER_AGENT`. */
  userAgent?: string;
  /** Seconds to wait for each API request. Default: the setup's, else 10. */
  requestTimeout?: number;
}

/**
 * The API settings `setupGitHubOAuth` resolved, per server: it runs after the
 * tools are registered (`registerGitHubTools(mcp)` then `run({ postRegisterHook:
 * setupGitHubOAuth(mcp) })`), so tools look them up when called. Keyed weakly:
 * nothing outlives its server.
 */
const configuredApis = new WeakMap<ChukMCPServer, GitHubApiSettings>();

/** Records the API settings of the GitHub provider set up for `mcp` (called by `setupGitHubOAuth`). */
export function bindGitHubApi(mcp: ChukMCPServer, api: GitHubApiSettings): void {
  configuredApis.set(mcp, api);
}

const owner = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, {
    error: "must be a GitHub user or organization name (letters, digits, hyphens)",
  })
  .describe("The repository owner: a user or organization login, e.g. octocat");
const repo = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: "must be a repository name (letters, digits, '.', '_', '-')" })
  .refine((name) => name !== "." && name !== "..", { error: "must be a repository name" })
  .describe("The repository name, e.g. hello-world");

const repositorySummary = {
  full_name: z.string(),
  name: z.string(),
  owner: z.string(),
  private: z.boolean(),
  html_url: z.string(),
  description: z.string().nullable(),
  updated_at: z.string().nullable(),
};

/**
 * Registers the GitHub tools on `mcp`:
 *
 * | tool | MCP scope | GitHub call |
 * | --- | --- | --- |
 * | `github_whoami` | (a login) | `GET /user` → `login`, `id`, `name`, `html_url` |
 * | `github_list_repositories` | `github.read` | `GET /user/repos` (`per_page`, `page`, `sort`) with the next page from `Link` |
 * | `github_create_issue` | `github.write` | `POST /repos/{owner}/{repo}/issues` → `number`, `html_url` |
 *
 * ```ts
 * import { registerGitHubTools, setupGitHubOAuth } from "@chuk-mcp/providers-github";
 * import { getMcpServer, run } from "@chuk-mcp/server";
 *
 * registerGitHubTools(getMcpServer());
 * await run({ transport: "http", postRegisterHook: setupGitHubOAuth(getMcpServer()) });
 * ```
 */
export function registerGitHubTools(mcp: ChukMCPServer, options: GitHubToolsOptions = {}): ChukMCPServer {
  if (options.apiUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(options.apiUrl)) {
    throw new TypeError("registerGitHubTools: apiUrl must be an absolute http(s) URL");
  }
  if (options.requestTimeout !== undefined && !(options.requestTimeout > 0)) {
    throw new TypeError("registerGitHubTools: requestTimeout must be a positive number of seconds");
  }
  const apiFor = (): GitHubApiSettings => {
    const bound = configuredApis.get(mcp);
    return {
      baseUrl: (options.apiUrl ?? bound?.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, ""),
      userAgent: options.userAgent ?? bound?.userAgent ?? GITHUB_DEFAULT_USER_AGENT,
      timeoutSeconds: options.requestTimeout ?? bound?.timeoutSeconds ?? 10,
    };
  };

  mcp.tool(
    "github_whoami",
    {
      title: "GitHub: who am I",
      description: "The GitHub account you signed in with: login, numeric id, display name and profile URL.",
      output: { login: z.string(), id: z.number(), name: z.string().nullable(), html_url: z.string() },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    requiresAuth({}, async (_args, ctx) =>
      call(apiFor(), ctx, { method: "GET", path: "/user" }, ({ data }) => {
        const user = record(data);
        return {
          login: string(user.login),
          id: number(user.id),
          name: typeof user.name === "string" ? user.name : null,
          html_url: string(user.html_url),
        };
      }),
    ),
  );

  mcp.tool(
    "github_list_repositories",
    {
      title: "GitHub: list my repositories",
      description:
        "Repositories you can access (owned, collaborator, organization member), one page at a time. " +
        "When more exist, next_page says which page to ask for next.",
      input: {
        per_page: z.number().int().min(1).max(100).default(30).describe("Repositories per page (1–100, default 30)"),
        page: z.number().int().min(1).default(1).describe("Which page (default 1)"),
        sort: z
          .enum(["created", "updated", "pushed", "full_name"])
          .optional()
          .describe("Order (GitHub's default: full_name)"),
      },
      output: {
        repositories: z.array(z.object(repositorySummary)),
        page: z.number(),
        per_page: z.number(),
        next_page: z.number().nullable(),
        last_page: z.number().nullable(),
      },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    requiresAuth({ scopes: [GITHUB_READ_SCOPE] }, async ({ per_page, page, sort }, ctx) =>
      call(
        apiFor(),
        ctx,
        { method: "GET", path: "/user/repos", query: { per_page, page, sort } },
        ({ data, headers }) => {
          if (!Array.isArray(data)) throw new GitHubApiError({ status: 200, githubMessage: "expected a list" });
          // GitHub paginates with the Link header (no page counts in the body).
          const pages = linkPages(headers.get("link"));
          return {
            repositories: data.map((item) => {
              const r = record(item);
              return {
                full_name: string(r.full_name),
                name: string(r.name),
                owner: string(record(r.owner).login),
                private: r.private === true,
                html_url: string(r.html_url),
                description: typeof r.description === "string" ? r.description : null,
                updated_at: typeof r.updated_at === "string" ? r.updated_at : null,
              };
            }),
            page,
            per_page,
            next_page: pages.next ?? null,
            last_page: pages.last ?? (pages.next === undefined ? page : null),
          };
        },
      ),
    ),
  );

  mcp.tool(
    "github_create_issue",
    {
      title: "GitHub: open an issue",
      description: "Opens an issue in a repository, as you. Returns its number and URL.",
      input: {
        owner,
        repo,
        title: z.string().min(1).max(256).describe("The issue's title"),
        body: z.string().max(65_536).optional().describe("The issue's text (Markdown)"),
      },
      output: { number: z.number(), html_url: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    requiresAuth({ scopes: [GITHUB_WRITE_SCOPE] }, async (args, ctx) =>
      call(
        apiFor(),
        ctx,
        {
          method: "POST",
          path: `/repos/${encodeURIComponent(args.owner)}/${encodeURIComponent(args.repo)}/issues`,
          body: { title: args.title, ...(args.body === undefined ? {} : { body: args.body }) },
        },
        ({ data }) => {
          const issue = record(data);
          return { number: number(issue.number), html_url: string(issue.html_url) };
        },
      ),
    ),
  );

  return mcp;
}

/**
 * Calls the API with the user's upstream token and shapes the answer with
 * `read`; any failure becomes a tool error (`isError`) saying what GitHub said.
 */
async function call<T extends Record<string, unknown>>(
  api: GitHubApiSettings,
  ctx: RequestContext,
  request: Parameters<typeof githubApiRequest>[2],
  read: (response: GitHubApiResponse) => T,
): Promise<T | CallToolResult> {
  const token = ctx.auth?.externalAccessToken;
  if (token === undefined || token === "") {
    return toolError("No GitHub authorization is available for this user: sign in again from the MCP client.");
  }
  try {
    return read(await githubApiRequest(api, token, { ...request, signal: ctx.signal }));
  } catch (err) {
    if (err instanceof GitHubApiError) return toolError(explain(err, request));
    throw err;
  }
}

/** What a failed call means for the user. */
function explain(err: GitHubApiError, request: { method: string; path: string }): string {
  const what = `${request.method} ${request.path}`;
  if (err.status === undefined) return `GitHub request failed (${what}): ${err.githubMessage}.`;
  if (err.status === 401) {
    return (
      `GitHub refused the access token (HTTP 401: ${err.githubMessage}): the GitHub authorization has ` +
      "expired or was revoked. Sign in again from the MCP client to re-authorize."
    );
  }
  const docs = err.documentationUrl === undefined ? "" : ` See ${err.documentationUrl}`;
  if (err.rateLimited)
    return `GitHub rate limit reached (HTTP ${err.status}): ${err.githubMessage}. Try again later.${docs}`;
  return `${err.message} (${what}).${docs}`;
}

const toolError = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });

/** An answer that lacks what we read is GitHub changing under us: reported as a malformed answer. */
function malformed(): never {
  throw new GitHubApiError({ status: 200, githubMessage: "unexpected answer shape" });
}
const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : malformed();
const string = (value: unknown): string => (typeof value === "string" ? value : malformed());
const number = (value: unknown): number => (typeof value === "number" ? value : malformed());
