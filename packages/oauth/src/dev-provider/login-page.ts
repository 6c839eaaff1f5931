/**
 * The development provider's HTML: the login form and the error page. Every
 * value that came from a request is HTML-escaped; the page allows no script,
 * no framing, and posts its form only to this server or our callback.
 */
import { createHash } from "node:crypto";

/** The authorization request, carried through the login form in hidden fields. */
export interface LoginFormFields {
  response_type: "code";
  client_id: string;
  redirect_uri: string;
  state: string;
  code_challenge: string;
  code_challenge_method: string;
  scope: string;
}

/** A page to send: status, headers and HTML. */
export interface HtmlPage {
  status: number;
  headers: Record<string, string>;
  html: string;
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f4f5;margin:0;padding:2rem;color:#18181b}
main{max-width:26rem;margin:2rem auto;background:#fff;border-radius:.5rem;padding:1.5rem 2rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.3rem;margin-top:0}
.warning{background:#fef3c7;border:1px solid #f59e0b;border-radius:.3rem;padding:.6rem .8rem;font-size:.9rem}
.error{background:#fee2e2;border:1px solid #ef4444;border-radius:.3rem;padding:.6rem .8rem;font-size:.9rem}
label{display:block;margin:1rem 0 .3rem;font-weight:600}
input[type=text]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
.actions{display:flex;gap:.5rem;margin-top:1rem}
button{padding:.5rem 1rem;font-size:1rem;cursor:pointer}
code{word-break:break-all}`;

// The one inline style, allowed by its hash: no 'unsafe-inline' anywhere.
const STYLE_HASH = `'sha256-${createHash("sha256").update(STYLE, "utf8").digest("base64")}'`;

/** What a username may be: 1–64 characters of letters, digits and `._@-`. */
export const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** The security headers of every page. */
function pageHeaders(): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // No form-action: browsers apply it to every redirect after the POST, and the chain ends at the
    // MCP client's own redirect URI, which this page cannot know.
    "content-security-policy": `default-src 'none'; style-src ${STYLE_HASH}; base-uri 'none'; frame-ancestors 'none'`,
  };
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const layout = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;

/** The login form. `problem` is shown above it (a refused username); `username` refills the field. */
export function loginPage(
  fields: LoginFormFields,
  options: { action: string; problem?: string; username?: string },
): HtmlPage {
  const hidden = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join("\n");
  const problem =
    options.problem === undefined ? "" : `<p class="error" role="alert">${escapeHtml(options.problem)}</p>\n`;
  const body = `<h1>Development login</h1>
<p class="warning"><strong>Development only.</strong> This login accepts any username, without a password.
It stands in for a real identity provider while you develop and test, and must never be used in production.</p>
${problem}<form method="post" action="${escapeHtml(options.action)}">
${hidden}
<label for="username">Username</label>
<input id="username" name="username" type="text" required autofocus autocomplete="username" maxlength="64" pattern="[A-Za-z0-9._@\\-]{1,64}" value="${escapeHtml(options.username ?? "")}">
<p>Letters, digits and <code>. _ @ -</code>, up to 64 characters.</p>
<div class="actions">
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="deny" formnovalidate>Cancel</button>
</div>
</form>`;
  return {
    status: options.problem === undefined ? 200 : 400,
    headers: pageHeaders(),
    html: layout("Development login", body),
  };
}

/** A request the login cannot serve (unknown client or redirect URI): shown, never redirected. */
export function errorPage(message: string): HtmlPage {
  const body = `<h1>Development login: bad request</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>`;
  return { status: 400, headers: pageHeaders(), html: layout("Development login: bad request", body) };
}
