/**
 * Redirect URI rules: which URIs a client may register (RFC 7591 §2, RFC 8252
 * §7, OAuth 2.1 §2.3 and §7.5), and whether a URI sent to the authorization
 * endpoint is one the client registered (exact match; for loopback http, any
 * port, RFC 8252 §7.3).
 */
import type { ClientRecord } from "../store/records.js";

/** The longest redirect URI we accept (registration and authorization requests). */
export const MAX_REDIRECT_URI_LENGTH = 2048;

/** Hosts that name this machine's loopback interface, as `URL.hostname` spells them. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * Schemes that run code or read local data in a browser or an OS handler:
 * never a redirect target. Any scheme not explicitly allowed is refused
 * anyway; naming these gives a clearer reason.
 */
const DANGEROUS_SCHEMES: ReadonlySet<string> = new Set([
  "javascript",
  "data",
  "file",
  "vbscript",
  "blob",
  "about",
  "filesystem",
  "view-source",
  "chrome",
  "chrome-extension",
  "resource",
  "jar",
  "intent",
  "ms-appx",
  "ms-appx-web",
]);

/**
 * A private-use URI scheme in reverse-domain form (RFC 8252 §7.1): at least
 * one dot, so it cannot collide with a registered scheme such as `http`.
 */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/;

/**
 * Why `uri` may not be registered as a redirect URI by a client of
 * `applicationType`, or `undefined` when it may. Allowed: `https`; `http` on
 * a loopback host (127.0.0.1, [::1], localhost), for web and native clients
 * alike (desktop MCP clients register as web with a loopback redirect); a
 * reverse-domain private-use scheme (`com.example.app:/cb`) for native
 * clients only. Refused: relative URIs, fragments, user credentials, control
 * characters or whitespace, and every other scheme.
 */
export function redirectUriProblem(uri: string, applicationType: "web" | "native"): string | undefined {
  if (uri.length === 0) return "a redirect URI is empty";
  if (uri.length > MAX_REDIRECT_URI_LENGTH) {
    return `a redirect URI is longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  }
  // The URL parser silently drops some of these; what is registered must be exactly what is matched.
  if (/[^\x21-\x7e]/.test(uri)) return "a redirect URI contains whitespace, control or non-ASCII characters";
  if (uri.includes("#")) return "a redirect URI must not contain a fragment";
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "a redirect URI is not an absolute URI";
  }
  const scheme = url.protocol.slice(0, -1);
  if (DANGEROUS_SCHEMES.has(scheme)) return `the ${scheme}: scheme is not allowed in a redirect URI`;
  if (url.username !== "" || url.password !== "") return "a redirect URI must not contain user credentials";
  if (scheme === "https") return undefined;
  if (scheme === "http") {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : "http redirect URIs are allowed only on a loopback host (127.0.0.1, [::1], localhost); use https";
  }
  if (PRIVATE_USE_SCHEME.test(scheme)) {
    return applicationType === "native"
      ? undefined
      : `the private-use scheme ${scheme}: is allowed only for native clients (application_type "native")`;
  }
  return `the ${scheme}: scheme is not allowed in a redirect URI (use https, loopback http, or a reverse-domain scheme for native apps)`;
}

// `http://<loopback host>[:port]` followed by a path, a query or nothing. The
// lookahead rules out `http://localhost.evil.example` and `http://127.0.0.1:80@evil.example`.
const LOOPBACK_AUTHORITY = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?(?=[/?]|$)/;

/** `uri` without its port when it is a loopback http URI with a usable port (or none); otherwise `undefined`. */
function loopbackWithoutPort(uri: string): string | undefined {
  const match = LOOPBACK_AUTHORITY.exec(uri);
  if (!match) return undefined;
  const port = match[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return `http://${match[1]}${uri.slice(match[0].length)}`;
}

/**
 * Whether `requested` (the authorization request's `redirect_uri`) is one of
 * the client's registered redirect URIs: an exact, case-sensitive string
 * match, except that for loopback http URIs the port may differ (RFC 8252
 * §7.3: native apps listen on an ephemeral port). Scheme, host, path and
 * query must still match exactly, so `localhost` does not match `127.0.0.1`.
 */
export function isRegisteredRedirectUri(client: ClientRecord, requested: string): boolean {
  if (requested.length === 0 || requested.length > MAX_REDIRECT_URI_LENGTH) return false;
  if (client.redirectUris.includes(requested)) return true;
  const requestedLoopback = loopbackWithoutPort(requested);
  if (requestedLoopback === undefined) return false;
  return client.redirectUris.some((registered) => loopbackWithoutPort(registered) === requestedLoopback);
}
