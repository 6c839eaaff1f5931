/**
 * A person's login, without a browser: follows an authorization URL over
 * fetch with manual redirects and a cookie jar, answers our consent page
 * (its hidden fields and CSRF cookie, then Approve or Deny) and the
 * development provider's login form (`username`), and stops at the redirect
 * to the client's redirect URI, returning what it carries (`code`, `state`,
 * `iss` or `error`). Every page it passes is recorded for assertions.
 */

/** One HTML form, as a browser would submit it. */
export interface HtmlForm {
  action: string;
  method: string;
  /** Hidden and text inputs with their values. */
  fields: Record<string, string>;
  /** Submit buttons: name, value and visible text. */
  buttons: { name?: string; value: string; text: string }[];
}

/** A page the login passed through. */
export interface VisitedPage {
  url: string;
  status: number;
  headers: Headers;
  /** The HTML of a 200 page (empty for redirects). */
  html: string;
}

export interface LoginOptions {
  /** What to type in the development login form (default "ada"). */
  username?: string;
  /** The button to press on the consent page (default "approve"). */
  decision?: "approve" | "deny";
  /** Cookies kept between logins (a returning user); default a fresh jar. */
  cookies?: CookieJar;
}

export interface AuthorizationRedirect {
  /** The final redirect to the client. */
  url: URL;
  code: string | null;
  state: string | null;
  iss: string | null;
  error: string | null;
  /** Every response on the way, in order. */
  pages: VisitedPage[];
  /** Whether a consent page was shown (and answered). */
  consented: boolean;
  /** Whether the development login form was shown (and filled). */
  loggedIn: boolean;
}

/** Name=value cookies per host (enough for one origin on loopback: no paths, no expiry). */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const cookies = this.byHost.get(url.host) ?? new Map<string, string>();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === "";
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
      this.byHost.set(url.host, cookies);
    }
  }

  header(url: URL): string | undefined {
    const cookies = this.byHost.get(url.host);
    if (!cookies || cookies.size === 0) return undefined;
    return [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  names(url: URL): string[] {
    return [...(this.byHost.get(url.host)?.keys() ?? [])];
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

export const decodeHtml = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code = entity[1]?.toLowerCase() === "x" ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });

function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    const name = (m[1] as string).toLowerCase();
    attributes[name] = decodeHtml(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return attributes;
}

/** The forms of a page (action resolved against `base`). */
export function parseForms(html: string, base: URL): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributesOf(m[1] as string);
    const body = m[2] as string;
    const fields: Record<string, string> = {};
    const buttons: HtmlForm["buttons"] = [];
    for (const input of body.matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributesOf(input[1] as string);
      const type = (a.type ?? "text").toLowerCase();
      if (!a.name) continue;
      if (type === "submit") buttons.push({ name: a.name, value: a.value ?? "", text: a.value ?? "" });
      else if (type === "checkbox" || type === "radio") {
        if ("checked" in a) fields[a.name] = a.value ?? "on";
      } else fields[a.name] = a.value ?? "";
    }
    for (const button of body.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      const a = attributesOf(button[1] as string);
      if ((a.type ?? "submit").toLowerCase() !== "submit") continue;
      const text = decodeHtml((button[2] as string).replace(/<[^>]*>/g, "")).trim();
      buttons.push({ ...(a.name ? { name: a.name } : {}), value: a.value ?? "", text });
    }
    forms.push({
      action: new URL(attrs.action ?? "", base).href,
      method: (attrs.method ?? "get").toLowerCase(),
      fields,
      buttons,
    });
  }
  return forms;
}

const APPROVE = /approve|allow|accept|authori[sz]e/i;
const DENY = /deny|reject|decline|cancel/i;
const buttonMatches = (b: HtmlForm["buttons"][number], pattern: RegExp) =>
  pattern.test(b.value) || pattern.test(b.text);

/** The consent form and the button for `decision`, if the page is a consent page. */
export function consentChoice(
  forms: HtmlForm[],
  decision: "approve" | "deny",
): { form: HtmlForm; button: HtmlForm["buttons"][number] } | undefined {
  const pattern = decision === "approve" ? APPROVE : DENY;
  const isConsent = forms.some((f) => f.buttons.some((b) => buttonMatches(b, APPROVE)));
  if (!isConsent) return undefined;
  for (const form of forms) {
    const button = form.buttons.find((b) => buttonMatches(b, pattern));
    if (button) return { form, button };
  }
  return undefined;
}

const isRedirectTo = (location: URL, redirectUri: URL) =>
  location.origin === redirectUri.origin && location.pathname === redirectUri.pathname;

/**
 * Follows `authorizationUrl` until the redirect to `redirectUri`, answering
 * the consent page and the development login form on the way.
 */
export async function loginWithoutBrowser(
  authorizationUrl: URL | string,
  redirectUri: URL | string,
  options: LoginOptions = {},
): Promise<AuthorizationRedirect> {
  const target = new URL(redirectUri);
  const jar = options.cookies ?? new CookieJar();
  const pages: VisitedPage[] = [];
  let consented = false;
  let loggedIn = false;
  let url = new URL(authorizationUrl);
  let init: { method: string; body?: URLSearchParams } = { method: "GET" };

  for (let step = 0; step < 25; step++) {
    const cookie = jar.header(url);
    const headers: Record<string, string> = { accept: "text/html" };
    if (cookie) headers.cookie = cookie;
    if (init.body) headers["content-type"] = "application/x-www-form-urlencoded";
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    jar.store(url, response);

    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      pages.push({ url: url.href, status: response.status, headers: response.headers, html: "" });
      const location = response.headers.get("location");
      if (!location) throw new Error(`${response.status} from ${url.href} without a Location`);
      const next = new URL(location, url);
      if (isRedirectTo(next, target)) {
        const p = next.searchParams;
        return {
          url: next,
          code: p.get("code"),
          state: p.get("state"),
          iss: p.get("iss"),
          error: p.get("error"),
          pages,
          consented,
          loggedIn,
        };
      }
      url = next;
      init = { method: "GET" };
      continue;
    }

    const html = await response.text();
    pages.push({ url: url.href, status: response.status, headers: response.headers, html });
    if (response.status !== 200) {
      throw new Error(`${response.status} from ${url.href} during the login:\n${html.slice(0, 2000)}`);
    }
    const forms = parseForms(html, url);
    const login = forms.find((f) => "username" in f.fields);
    const consent = consentChoice(forms, options.decision ?? "approve");
    let form: HtmlForm;
    const fields = new URLSearchParams();
    if (login && !consent) {
      form = login;
      for (const [name, value] of Object.entries(form.fields)) fields.set(name, value);
      fields.set("username", options.username ?? "ada");
      const submit = form.buttons[0];
      if (submit?.name) fields.set(submit.name, submit.value);
      loggedIn = true;
    } else if (consent) {
      form = consent.form;
      for (const [name, value] of Object.entries(form.fields)) fields.set(name, value);
      if (consent.button.name) fields.set(consent.button.name, consent.button.value);
      consented = true;
    } else {
      throw new Error(`neither a consent page nor a login form at ${url.href}:\n${html.slice(0, 2000)}`);
    }
    url = new URL(form.action);
    init = form.method === "post" ? { method: "POST", body: fields } : { method: "GET" };
    if (form.method !== "post") for (const [name, value] of fields) url.searchParams.set(name, value);
  }
  throw new Error(`no redirect to ${target.href} after 25 steps`);
}
