/**
 * Test harness for the development provider on its own: a fastify app on a
 * free 127.0.0.1 port that mounts only the provider's `/dev-idp/*` routes, and
 * a login that drives the real login page as a browser would (GET the page,
 * read its hidden fields, POST the form, follow nothing).
 */
import Fastify, { type FastifyInstance } from "fastify";
import { DevOAuthProvider, type DevOAuthProviderOptions } from "../../src/dev-provider/index.js";
import type { UpstreamAuthorizationStart, UpstreamGrant } from "../../src/provider.js";
import { freePort } from "../helpers/free-port.js";

export interface DevIdp {
  origin: string;
  provider: DevOAuthProvider;
  /** The provider's start-up warnings. */
  warnings: string[];
  close(): Promise<void>;
}

export async function startDevIdp(options: Partial<DevOAuthProviderOptions> = {}): Promise<DevIdp> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const warnings: string[] = [];
  const provider = new DevOAuthProvider({
    serverUrl: origin,
    logger: { warn: (_obj, msg) => warnings.push(msg) },
    ...options,
  });
  const app: FastifyInstance = Fastify({ logger: false });
  await provider.mount(app, { issuer: origin });
  await app.listen({ host: "127.0.0.1", port });
  return { origin, provider, warnings, close: () => app.close() };
}

/** The hidden fields of the login page's form, unescaped. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = unescapeHtml(match[2] as string);
  }
  return fields;
}

const unescapeHtml = (value: string): string =>
  value.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));

/** Submits the login form of the page at `authorizationUrl`; returns the redirect's Location (or the response). */
export async function submitLogin(
  authorizationUrl: string,
  form: { username?: string; action?: "login" | "deny" },
): Promise<Response> {
  const page = await fetch(authorizationUrl);
  if (page.status !== 200) throw new Error(`login page answered ${page.status}`);
  const fields = hiddenFields(await page.text());
  const body = new URLSearchParams({ ...fields, action: form.action ?? "login" });
  if (form.username !== undefined) body.set("username", form.username);
  return fetch(new URL("/dev-idp/authorize", authorizationUrl), { method: "POST", body, redirect: "manual" });
}

/** What the authorization server would keep between start and callback. */
export interface StartedLogin {
  state: string;
  start: UpstreamAuthorizationStart;
  /** Our callback URL as the upstream's redirect reached it. */
  callback: URL;
}

/** Starts an authorization through the provider and logs in at the page; does not finish it. */
export async function loginAtPage(
  provider: DevOAuthProvider,
  username: string,
  action: "login" | "deny" = "login",
): Promise<StartedLogin> {
  const state = `state-${Math.random().toString(36).slice(2)}`;
  const start = await provider.startAuthorization({ state, scopes: ["posts.write"] });
  const response = await submitLogin(start.url, { username, action });
  const location = response.headers.get("location");
  if (response.status !== 302 || location === null) throw new Error(`login answered ${response.status}`);
  return { state, start, callback: new URL(location) };
}

/** The whole upstream flow: start, log in at the page, finish with the redirect. */
export async function login(provider: DevOAuthProvider, username: string): Promise<UpstreamGrant> {
  const { state, start, callback } = await loginAtPage(provider, username);
  return provider.finishAuthorization({
    url: callback,
    state,
    ...(start.codeVerifier === undefined ? {} : { codeVerifier: start.codeVerifier }),
    ...(start.extra === undefined ? {} : { extra: start.extra }),
  });
}
