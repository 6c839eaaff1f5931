/**
 * The HTML the authorization server shows people: the consent page and the
 * error page (for errors that must not be redirected). Every value put into
 * a page is escaped here, and every page goes out with headers that keep it
 * out of frames (clickjacking), caches and Referer headers, and that allow
 * no script at all.
 */
import type { FastifyReply } from "fastify";

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the consent page shows and submits. */
export interface ConsentPageModel {
  /** The client's registered name (or its id, when it registered none). */
  clientName: string;
  clientId: string;
  /**
   * For a client identified by its metadata document URL: that URL's host,
   * shown before the name, which the document asserts about itself.
   */
  clientHost?: string | undefined;
  /** Where the client gets the answer: the redirect URI's host (or its scheme, for app schemes). */
  redirectTarget: string;
  /** The full redirect URI (MCP security best practices: show where the code goes). */
  redirectUri: string;
  scopes: readonly string[];
  /** "Sign in with …". */
  providerName: string;
  /** The consent endpoint's URL (the form's action). */
  action: string;
  /** Hidden fields: the consent request id and the CSRF token. */
  requestId: string;
  csrfToken: string;
}

/** The consent page: who asks, for what, where the answer goes, and Approve / Deny. */
export function consentPage(model: ConsentPageModel): string {
  const scopes =
    model.scopes.length === 0
      ? "<p>No specific permissions: only to know who you are.</p>"
      : `<ul>${model.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join("")}</ul>`;
  const publisher =
    model.clientHost === undefined
      ? ""
      : `<p class="host">Published by <strong>${escapeHtml(model.clientHost)}</strong></p>
<p class="meta">The name above is what <strong>${escapeHtml(model.clientHost)}</strong> says about its own application: check that you expected an application from this site.${
          isLoopbackTarget(model.redirectTarget)
            ? " The answer goes to a program on this computer (localhost): approve only if you just started it yourself."
            : ""
        }</p>`;
  const body = `
<h1>Authorize ${escapeHtml(model.clientName)}</h1>
${publisher}
<p><strong>${escapeHtml(model.clientName)}</strong> wants to access this server on your behalf.</p>
<p class="meta">Client id: <code>${escapeHtml(model.clientId)}</code><br>
After you decide, you will be sent back to <strong>${escapeHtml(model.redirectTarget)}</strong>
(<code>${escapeHtml(model.redirectUri)}</code>).</p>
<h2>Permissions requested</h2>
${scopes}
<p>If you approve, you will sign in with <strong>${escapeHtml(model.providerName)}</strong>.
Only approve applications you recognise and trust.</p>
<form method="post" action="${escapeHtml(model.action)}">
<input type="hidden" name="request" value="${escapeHtml(model.requestId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(model.csrfToken)}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="deny">Deny</button>
</form>`;
  return page(`Authorize ${model.clientName}`, body);
}

/** Whether a redirect target (`host[:port]`) is this machine: anyone's program could listen there. */
const isLoopbackTarget = (target: string): boolean => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i.test(target);

/** The page shown for an error that cannot be sent back to the client. */
export function errorPage(params: { title: string; error: string; description: string | undefined }): string {
  const body = `
<h1>${escapeHtml(params.title)}</h1>
<p>${escapeHtml(params.description ?? "The request could not be completed.")}</p>
<p class="meta">Error: <code>${escapeHtml(params.error)}</code></p>
<p>Return to the application you came from and try again.</p>`;
  return page(params.title, body);
}

/** The Content-Security-Policy of our pages; `formTargets` are the sources a form here may submit to or be redirected to. */
export function pageSecurityPolicy(formTargets: readonly string[] = []): string {
  // Chrome applies form-action to the redirects that follow a form submission
  // too, so the consent page allows where Approve and Deny send the browser.
  const formAction = ["'self'", ...formTargets].join(" ");
  return `frame-ancestors 'none'; default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action ${formAction}`;
}

/**
 * A CSP source for where a URL leads: its origin, or for an app scheme
 * (`com.example.app:/cb`) the scheme. `undefined` for anything unusable.
 */
export function cspSourceOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const source = parsed.origin !== "null" ? parsed.origin : parsed.protocol;
  // Sources are separated by spaces and directives by `;`: neither may appear inside one.
  return /^[\x21-\x7e]+$/.test(source) && !source.includes(";") && !source.includes("'") ? source : undefined;
}

/** Sends an HTML page with the headers every page of ours carries. */
export function sendPage(
  reply: FastifyReply,
  status: number,
  html: string,
  options: { formTargets?: readonly string[] } = {},
): FastifyReply {
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("x-frame-options", "DENY")
    .header("content-security-policy", pageSecurityPolicy(options.formTargets))
    .header("cache-control", "no-store")
    .header("pragma", "no-cache")
    .header("referrer-policy", "no-referrer")
    .header("x-content-type-options", "nosniff")
    .send(html);
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.5rem}
code{background:#f3f4f6;padding:0 .25rem;border-radius:3px;word-break:break-all}
.meta{color:#57606a;font-size:.9rem}
.host{font-size:1.1rem;padding:.5rem .75rem;background:#fff8c5;border:1px solid #d4a72c;border-radius:6px}
form{margin-top:1.5rem;display:flex;gap:.75rem}
button{font-size:1rem;padding:.5rem 1.25rem;border-radius:6px;border:1px solid #1f6feb;background:#1f6feb;color:#fff;cursor:pointer}
button.deny{background:#fff;color:#1f2328;border-color:#d0d7de}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>${body}
</body>
</html>
`;
}
