/**
 * Request checks that come before any MCP processing: Origin (browsers), Host
 * (DNS rebinding against loopback servers), and what the client accepts.
 */
import { ErrorCode, McpHttpError } from "../../protocol/errors.js";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export const isLoopbackHost = (host: string): boolean =>
  LOOPBACK_NAMES.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** "name:port" or "[v6]:port" → the hostname part. */
function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith("[")) {
    const end = hostHeader.indexOf("]");
    return end === -1 ? hostHeader : hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.lastIndexOf(":");
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

export interface HostMatcher {
  has(host: string): boolean;
}

export interface OriginPolicy {
  allowedOrigins: readonly string[];
  /** undefined: any Host accepted. */
  allowedHosts: HostMatcher | undefined;
  /** The last Host header found allowed: clients repeat theirs on every request. */
  lastAllowedHost?: string;
}

/** Any loopback name (all of 127/8 too), as Origin checks accept. */
const LOOPBACK_HOSTS: HostMatcher = { has: isLoopbackHost };

/**
 * The policy for a bind address: a loopback bind accepts only loopback Host
 * names unless told otherwise.
 */
export function originPolicy(
  bindHost: string,
  allowedOrigins: readonly string[],
  allowedHosts: readonly string[] | undefined,
): OriginPolicy {
  if (allowedHosts) return { allowedOrigins, allowedHosts: new Set(allowedHosts.map((h) => h.toLowerCase())) };
  return { allowedOrigins, allowedHosts: isLoopbackHost(bindHost) ? LOOPBACK_HOSTS : undefined };
}

const forbidden = (message: string): McpHttpError => new McpHttpError(403, ErrorCode.Forbidden, message);

/** Throws 403 when the Host or Origin header is not allowed. */
export function checkOriginAndHost(policy: OriginPolicy, host: string | undefined, origin: string | undefined): void {
  if (policy.allowedHosts && (host === undefined || host !== policy.lastAllowedHost)) {
    const value = (host ?? "").toLowerCase();
    if (!policy.allowedHosts.has(value) && !policy.allowedHosts.has(hostnameOf(value))) {
      throw forbidden(`Invalid Host: ${host ?? "(none)"}`);
    }
    policy.lastAllowedHost = host;
  }
  if (origin === undefined) return;
  if (policy.allowedOrigins.includes("*") || policy.allowedOrigins.includes(origin)) return;
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    throw forbidden(`Invalid Origin: ${origin}`);
  }
  if (isLoopbackHost(originUrl.hostname)) return;
  // A page served by this very server may call it. Compare the parsed host:
  // a suffix test on the raw header let "http://evil.com//<host>" through.
  if (host !== undefined && originUrl.host === host.toLowerCase()) return;
  throw forbidden(`Origin not allowed: ${origin}`);
}

const BOTH = Object.freeze({ json: true, sse: true });

/** What an Accept header admits; a missing header or a wildcard admits both. */
export function acceptedTypes(accept: string | undefined): { readonly json: boolean; readonly sse: boolean } {
  return accept ? parseAccept(accept) : BOTH;
}

/**
 * `acceptedTypes` remembering its last answer: a client sends the same
 * Accept header on every request. One per app (no shared state).
 */
export function acceptedTypesMemo(): typeof acceptedTypes {
  let last: string | undefined;
  let answer: { readonly json: boolean; readonly sse: boolean } = BOTH;
  return (accept) => {
    if (!accept) return BOTH;
    if (accept !== last) {
      answer = parseAccept(accept);
      last = accept;
    }
    return answer;
  };
}

function parseAccept(accept: string): { json: boolean; sse: boolean } {
  const a = accept.toLowerCase();
  const any = a.includes("*/*");
  return {
    json: any || a.includes("application/json") || a.includes("application/*"),
    sse: any || a.includes("text/event-stream") || a.includes("text/*"),
  };
}
