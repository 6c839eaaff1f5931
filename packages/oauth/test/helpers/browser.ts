/**
 * A browser without a browser, for the authorization flow over real HTTP:
 *
 * - `TestBrowser`: fetch with a cookie jar and manual redirects, carrying
 *   the consent and login cookies as a browser would;
 * - `parseForms`: the forms of a page, as a browser would submit them;
 * - `followLogin`: from an authorization URL, follows the redirects, answers
 *   the consent page (its form, CSRF token and cookie) and the development
 *   login form (`username`), or an upstream's, and stops at the redirect to
 *   the client.
 *
 * It needs nothing from the package's sources, so the end-to-end tests at
 * the repository's root use it too (against the built example).
 */

/** One response as the browser saw it. */
export interface BrowserResponse {
  url: URL;
  status: number;
  headers: Headers;
  /** Where a 3xx points (resolved). */
  location: URL | undefined;
  /** The body of a non-redirect response. */
  html: string;
}

/** One HTML form, as a browser would submit it. */
export interface HtmlForm {
  action: URL;
  method: string;
  /** Hidden and text inputs with their values. */
  fields: Record<string, string>;
  /** Submit buttons (name and value). */
  buttons: { name: string; value: string }[];
}

/** fetch with a cookie jar (per host; name=value only, `Max-Age=0` deletes) and manual redirects. */
export class TestBrowser {
  /** host → name → value. */
  readonly cookies = new Map<string, Map<string, string>>();

  async get(url: URL | string): Promise<BrowserResponse> {
    return this.#send(new URL(url), { method: "GET" });
  }

  /** Submits `form`, pressing the button named `name` with `value` (and overriding fields with `overrides`). */
  async submit(
    form: HtmlForm,
    button?: { name: string; value: string },
    overrides: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    const fields = new URLSearchParams({ ...form.fields, ...overrides });
    if (button) fields.set(button.name, button.value);
    if (form.method !== "post") {
      const url = new URL(form.action);
      for (const [k, v] of fields) url.searchParams.set(k, v);
      return this.get(url);
    }
    return this.postForm(form.action, fields);
  }

  async postForm(url: URL | string, fields: URLSearchParams | Record<string, string>): Promise<BrowserResponse> {
    return this.#send(new URL(url), {
      method: "POST",
      body: new URLSearchParams(fields).toString(),
      contentType: "application/x-www-form-urlencoded",
    });
  }

  /** The cookie header this browser sends to `url`'s host. */
  cookieHeader(url: URL | string): string | undefined {
    const jar = this.cookies.get(new URL(url).host);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async #send(url: URL, init: { method: string; body?: string; contentType?: string }): Promise<BrowserResponse> {
    const headers: Record<string, string> = { accept: "text/html" };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    if (init.contentType) headers["content-type"] = init.contentType;
    const response = await fetch(url, {
      method: init.method,
      headers,
      redirect: "manual",
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    this.#store(url, response);
    const locationHeader = response.headers.get("location");
    const location = locationHeader === null ? undefined : new URL(locationHeader, url);
    let html = "";
    if (location === undefined) html = await response.text();
    else await response.body?.cancel();
    return { url, status: response.status, headers: response.headers, location, html };
  }

  #store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const jar = this.cookies.get(url.host) ?? new Map<string, string>();
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = value === "" || attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (expired) jar.delete(name);
      else jar.set(name, value);
      this.cookies.set(url.host, jar);
    }
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#x") || entity.startsWith("#X"))
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z-]+)(?:\s*=\s*"([^"]*)")?/g)) {
    found[(m[1] as string).toLowerCase()] = decodeEntities(m[2] ?? "");
  }
  return found;
}

/** The forms of an HTML page (actions resolved against `base`). */
export function parseForms(html: string, base: URL): HtmlForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
    const form = attributes(m[1] as string);
    const fields: Record<string, string> = {};
    for (const input of (m[2] as string).matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1] as string);
      if (a.name) fields[a.name] = a.value ?? "";
    }
    const buttons = [...(m[2] as string).matchAll(/<button\b([^>]*)>/gi)]
      .map((b) => attributes(b[1] as string))
      .filter((a) => a.name !== undefined)
      .map((a) => ({ name: a.name as string, value: a.value ?? "" }));
    return { action: new URL(form.action ?? "", base), method: (form.method ?? "get").toLowerCase(), fields, buttons };
  });
}

// --- the login ---------------------------------------------------------------

export interface LoginOptions {
  /** The consent page's button (default "approve"). */
  decision?: "approve" | "deny";
  /** The login form's username (default "ada"). */
  username?: string;
}

/** Where the login ended. */
export interface LoginResult {
  /** The redirect to the client's redirect URI. */
  redirect: URL;
  /** Every response on the way, in order. */
  responses: BrowserResponse[];
  /** The (last) consent page, when one was shown. */
  consentPage: BrowserResponse | undefined;
  /** Whether a login form was shown (and filled). */
  loggedIn: boolean;
}

const APPROVE = /approve|allow|accept|authori[sz]e/i;
const DENY = /deny|reject|decline|cancel/i;

/** The form and the button for `decision` when the page asks for consent (a button that approves). */
function consentChoice(forms: HtmlForm[], decision: "approve" | "deny") {
  if (!forms.some((f) => f.buttons.some((b) => APPROVE.test(b.value)))) return undefined;
  const pattern = decision === "approve" ? APPROVE : DENY;
  for (const form of forms) {
    const button = form.buttons.find((b) => pattern.test(b.value));
    if (button) return { form, button };
  }
  return undefined;
}

/**
 * GETs `start` in `browser` and follows it until the redirect to `redirectUri`
 * (same origin and path), answering on the way each consent page (ours, or
 * an upstream's: a button that approves) and each login form (a `username`
 * field, submitted with its first named button: the development login's
 * "Sign in"). Throws on anything else.
 */
export async function followLogin(
  browser: TestBrowser,
  start: URL,
  redirectUri: URL,
  options: LoginOptions = {},
): Promise<LoginResult> {
  const responses: BrowserResponse[] = [];
  let consentPage: BrowserResponse | undefined;
  let loggedIn = false;

  let response = await browser.get(start);
  for (let step = 0; step < 25; step++) {
    responses.push(response);
    if (response.location !== undefined) {
      const next = response.location;
      if (next.origin === redirectUri.origin && next.pathname === redirectUri.pathname) {
        return { redirect: next, responses, consentPage, loggedIn };
      }
      response = await browser.get(next);
      continue;
    }
    if (response.status !== 200) {
      throw new Error(`HTTP ${response.status} at ${response.url.pathname}: ${response.html.slice(0, 500)}`);
    }
    const forms = parseForms(response.html, response.url);
    const consent = consentChoice(forms, options.decision ?? "approve");
    const login = forms.find((f) => "username" in f.fields);
    if (consent) {
      consentPage = response;
      response = await browser.submit(consent.form, consent.button);
    } else if (login) {
      loggedIn = true;
      response = await browser.submit(login, login.buttons[0], { username: options.username ?? "ada" });
    } else {
      throw new Error(
        `neither a consent page nor a login form at ${response.url.href}: ${response.html.slice(0, 500)}`,
      );
    }
  }
  throw new Error("the flow did not come back to the client within 25 steps");
}
