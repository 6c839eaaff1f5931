/**
 * A person's login, without a browser: the OAuth package's test browser
 * (fetch with a cookie jar and manual redirects) follows an authorization URL,
 * answers our consent page (Approve or Deny) and the development provider's
 * login form (`username`), and stops at the redirect to the client's redirect
 * URI, returning what it carries (`code`, `state`, `iss` or `error`). And
 * an SDK client set up to log its user in that way.
 */
import {
  type BrowserResponse,
  type LoginOptions as FollowOptions,
  followLogin,
  TestBrowser,
} from "../../packages/oauth/test/helpers/browser.js";
import {
  type CallbackParams,
  type MemoryOAuthClientSetup,
  type RecordedRequest,
  recordingFetch,
} from "./oauth-client.js";

/** The cookies kept between logins (a returning user): a test browser, which holds them. */
export { TestBrowser as CookieJar };

export interface LoginOptions extends FollowOptions {
  /** Cookies kept between logins (a returning user); default a fresh jar. */
  cookies?: TestBrowser;
}

export interface AuthorizationRedirect extends CallbackParams {
  /** The final redirect to the client. */
  url: URL;
  /** Every response on the way, in order. */
  pages: BrowserResponse[];
  /** Whether a consent page was shown (and answered). */
  consented: boolean;
  /** Whether the development login form was shown (and filled). */
  loggedIn: boolean;
}

/**
 * Follows `authorizationUrl` until the redirect to `redirectUri`, answering
 * the consent page and the development login form on the way.
 */
export async function loginWithoutBrowser(
  authorizationUrl: URL | string,
  redirectUri: URL | string,
  options: LoginOptions = {},
): Promise<AuthorizationRedirect> {
  const browser = options.cookies ?? new TestBrowser();
  const login = await followLogin(browser, new URL(authorizationUrl), new URL(redirectUri), options);
  const p = login.redirect.searchParams;
  return {
    url: login.redirect,
    code: p.get("code"),
    state: p.get("state"),
    iss: p.get("iss"),
    error: p.get("error"),
    pages: login.responses,
    consented: login.consentPage !== undefined,
    loggedIn: login.loggedIn,
  };
}

/** An SDK client's OAuth side, its user logging in without a browser, and the requests it made. */
export interface LoggingInOAuthClient<OAuth> {
  oauth: OAuth;
  /** The recording fetch to hand the SDK. */
  fetch: typeof fetch;
  /** Every request the SDK made, in order. */
  requests: RecordedRequest[];
  /** Every login, in order. */
  logins: AuthorizationRedirect[];
}

/** `LoggingInOAuthClient` with its transport. */
export interface HeadlessOAuthClient<OAuth, Transport> extends LoggingInOAuthClient<OAuth> {
  transport: Transport;
}

/**
 * The in-memory client provider `OAuthClient` (SDK 1.x or 2.x) whose user
 * logs in as `username` (consenting; one browser's cookies across logins),
 * with a fetch that records every request.
 */
export function loggingInOAuthClient<OAuth>(
  OAuthClient: new (setup: MemoryOAuthClientSetup) => OAuth,
  setup: { redirectUrl: string; clientName: string; username: string },
): LoggingInOAuthClient<OAuth> {
  const cookies = new TestBrowser();
  const logins: AuthorizationRedirect[] = [];
  const oauth = new OAuthClient({
    clientName: setup.clientName,
    redirectUrl: setup.redirectUrl,
    authorize: async (url) => {
      const login = await loginWithoutBrowser(url, setup.redirectUrl, { username: setup.username, cookies });
      logins.push(login);
      return login;
    },
  });
  const recorder = recordingFetch();
  return { oauth, fetch: recorder.fetch, requests: recorder.requests, logins };
}

/** `loggingInOAuthClient`, and `Transport` to `mcpUrl` with it and its recording fetch. */
export function headlessOAuthClient<OAuth, Transport>(
  OAuthClient: new (setup: MemoryOAuthClientSetup) => OAuth,
  Transport: new (url: URL, options: { authProvider: OAuth; fetch: typeof fetch }) => Transport,
  setup: { mcpUrl: string; redirectUrl: string; clientName: string; username: string },
): HeadlessOAuthClient<OAuth, Transport> {
  const client = loggingInOAuthClient(OAuthClient, setup);
  const transport = new Transport(new URL(setup.mcpUrl), { authProvider: client.oauth, fetch: client.fetch });
  return { ...client, transport };
}
