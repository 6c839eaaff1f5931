/**
 * Calling GitHub's REST API with a user's access token: the headers GitHub
 * asks for, its error bodies (`{ message, documentation_url, errors? }`)
 * turned into a typed error, and its `Link` header pagination.
 */

/** The REST API's production base URL. */
export const GITHUB_API_URL = "https://api.github.com";
/**
 * The REST API version we speak (`X-GitHub-Api-Version`). The shapes the
 * ready tools read (`/user`, `/user/repos`, issues) are the same in later versions.
 */
export const GITHUB_API_VERSION = "2022-11-28";

/** Where and how to call the REST API. */
export interface GitHubApiSettings {
  /** The API base without a trailing slash: `https://api.github.com`, or a stand-in. */
  readonly baseUrl: string;
  /** Sent as `User-Agent` (GitHub answers 403 to requests without one). */
  readonly userAgent: string;
  /** Seconds to wait for each request. */
  readonly timeoutSeconds: number;
}

/** The headers of every REST API request, besides `Authorization`. */
export function githubApiHeaders(userAgent: string): Record<string, string> {
  return {
    accept: "application/vnd.github+json",
    "x-github-api-version": GITHUB_API_VERSION,
    "user-agent": userAgent,
  };
}

/** One validation problem of a 422 answer. */
export interface GitHubValidationError {
  resource?: string;
  field?: string;
  code?: string;
  message?: string;
}

/** A REST API request that failed: GitHub's answer, or no answer at all (`status` undefined). */
export class GitHubApiError extends Error {
  /** The HTTP status; `undefined` when GitHub could not be reached or did not answer in time. */
  readonly status: number | undefined;
  /** GitHub's `message` ("Bad credentials", "Not Found", "Validation Failed", …), or what went wrong on the way. */
  readonly githubMessage: string;
  /** GitHub's `documentation_url`, when it sent one. */
  readonly documentationUrl: string | undefined;
  /** The `errors` of a 422 answer. */
  readonly validationErrors: readonly GitHubValidationError[];
  /** Whether a 403/429 was GitHub's rate limit (`x-ratelimit-remaining: 0` or `retry-after`). */
  readonly rateLimited: boolean;

  constructor(init: {
    status: number | undefined;
    githubMessage: string;
    documentationUrl?: string;
    validationErrors?: readonly GitHubValidationError[];
    rateLimited?: boolean;
  }) {
    super(describe(init));
    this.name = "GitHubApiError";
    this.status = init.status;
    this.githubMessage = init.githubMessage;
    this.documentationUrl = init.documentationUrl;
    this.validationErrors = init.validationErrors ?? [];
    this.rateLimited = init.rateLimited ?? false;
  }
}

/** A successful REST API answer. */
export interface GitHubApiResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body (`undefined` for an empty one). */
  data: unknown;
}

/** What one request sends besides the token. */
export interface GitHubApiRequest {
  method: "GET" | "POST";
  /** The path under the API base, starting with `/` (path segments already encoded). */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** A JSON body. */
  body?: unknown;
  /** Cancels the request (the MCP request's signal). */
  signal?: AbortSignal;
}

/**
 * One REST API request with `accessToken`. Resolves for 2xx answers; throws
 * `GitHubApiError` for anything else (with GitHub's message), for network
 * failures and timeouts. Nothing it throws contains the token.
 */
export async function githubApiRequest(
  settings: GitHubApiSettings,
  accessToken: string,
  request: GitHubApiRequest,
): Promise<GitHubApiResponse> {
  const url = new URL(`${settings.baseUrl}${request.path}`);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = {
    ...githubApiHeaders(settings.userAgent),
    authorization: `Bearer ${accessToken}`,
  };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  const timeout = AbortSignal.timeout(settings.timeoutSeconds * 1000);
  const signal = request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]);

  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      redirect: "manual",
      signal,
    });
  } catch (err) {
    throw new GitHubApiError({ status: undefined, githubMessage: networkFailure(err, timeout) });
  }

  const text = await response.text().catch(() => "");
  let data: unknown;
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (response.status >= 200 && response.status < 300) {
    if (text !== "" && data === undefined) {
      throw new GitHubApiError({ status: response.status, githubMessage: "the answer is not JSON" });
    }
    return { status: response.status, headers: response.headers, data };
  }
  const body = isRecord(data) ? data : {};
  const rateLimited =
    (response.status === 403 || response.status === 429) &&
    (response.headers.get("x-ratelimit-remaining") === "0" || response.headers.has("retry-after"));
  throw new GitHubApiError({
    status: response.status,
    githubMessage: typeof body.message === "string" && body.message !== "" ? body.message : statusText(response),
    ...(typeof body.documentation_url === "string" ? { documentationUrl: body.documentation_url } : {}),
    validationErrors: Array.isArray(body.errors) ? body.errors.map(validationError) : [],
    rateLimited,
  });
}

/**
 * The page numbers of a `Link` header (`<…?page=3>; rel="next", <…?page=9>; rel="last"`),
 * by relation: `{ next: 3, last: 9 }`. Relations whose URL has no `page` are left out.
 */
export function linkPages(header: string | null): Partial<Record<"next" | "prev" | "first" | "last", number>> {
  const pages: Partial<Record<"next" | "prev" | "first" | "last", number>> = {};
  if (header === null) return pages;
  for (const part of header.split(",")) {
    const match = /<([^>]*)>\s*;\s*rel="?([a-z]+)"?/i.exec(part.trim());
    if (match === null) continue;
    const rel = (match[2] as string).toLowerCase();
    if (rel !== "next" && rel !== "prev" && rel !== "first" && rel !== "last") continue;
    let page: number;
    try {
      page = Number(new URL(match[1] as string).searchParams.get("page"));
    } catch {
      continue;
    }
    if (Number.isSafeInteger(page) && page > 0) pages[rel] = page;
  }
  return pages;
}

/** The message of a `GitHubApiError`, for logs and tool results. */
function describe(init: {
  status: number | undefined;
  githubMessage: string;
  validationErrors?: readonly GitHubValidationError[];
}): string {
  const where = init.status === undefined ? "GitHub API request failed" : `GitHub API answered HTTP ${init.status}`;
  // "Issue.title missing_field", or GitHub's own message for errors without a field.
  const details = (init.validationErrors ?? [])
    .map((e) => {
      const where = [e.resource, e.field].filter((part) => part !== undefined && part !== "").join(".");
      const what = [where, e.code].filter((part) => part !== undefined && part !== "").join(" ");
      return what !== "" ? what : (e.message ?? "");
    })
    .filter((d) => d !== "");
  return `${where}: ${printable(init.githubMessage)}${details.length > 0 ? ` (${printable(details.join("; "))})` : ""}`;
}

function validationError(value: unknown): GitHubValidationError {
  if (typeof value === "string") return { message: value };
  if (!isRecord(value)) return {};
  const out: GitHubValidationError = {};
  for (const key of ["resource", "field", "code", "message"] as const) {
    if (typeof value[key] === "string") out[key] = value[key] as string;
  }
  return out;
}

function networkFailure(err: unknown, timeout: AbortSignal): string {
  if (timeout.aborted) return "timed out";
  if (err instanceof Error && err.name === "AbortError") return "cancelled";
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return `GitHub could not be reached${typeof code === "string" ? ` (${code})` : ""}`;
}

const statusText = (response: Response): string => response.statusText || `HTTP ${response.status}`;

/** Upstream text made safe for a message: one line, bounded. */
const printable = (value: string): string =>
  [...value]
    .map((ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? " " : ch))
    .join("")
    .slice(0, 300);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
