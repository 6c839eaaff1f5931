/**
 * The one outbound request the authorization server makes on a stranger's
 * say-so: `GET` of a Client ID Metadata Document. Its rules exist because
 * the URL is attacker-chosen (draft-ietf-oauth-client-id-metadata-document
 * "Client Information Discovery", "Server Side Request Forgery", "Maximum
 * Response Size"):
 *
 * - HTTPS only, certificate verified; no cookies, no credentials, no
 *   connection reuse (`agent: false`);
 * - the host is resolved first and every address it resolves to must be
 *   public (`specialUseRangeOf`); the connection then goes to the addresses
 *   that were checked (a `lookup` that returns them), so a second DNS answer
 *   cannot rebind the host to an internal address between check and connect;
 * - a redirect is a refusal, never followed; only 200 is an answer;
 * - `application/json` (or `application/<x>+json`) only;
 * - a size limit (the stream is cut beyond it) and one time limit for all of
 *   it, DNS included.
 *
 * A development allow-list names hosts whose addresses are not checked
 * (loopback during development and in tests); HTTPS and every other rule
 * still apply to them.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { ClientMetadataError } from "../errors.js";
import { specialUseRangeOf } from "./special-addresses.js";

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (default: the system resolver, as `dns.lookup` with `all`). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** Limits of a metadata document fetch. */
export const CLIENT_METADATA_FETCH_DEFAULTS = {
  /** The draft's recommended maximum response size ("Maximum Response Size"): 5 KiB. */
  maxBytes: 5 * 1024,
  /** DNS, connection, TLS and body together. */
  timeoutMs: 5_000,
} as const;

/** How metadata documents are fetched, besides the allow-list (option `clientMetadataFetch` of `OAuthMiddleware`). */
export interface ClientMetadataFetchOptions {
  /**
   * Certificate authorities to trust instead of Node's bundled ones (PEM):
   * for tests and a development CA. Prefer this to `NODE_TLS_REJECT_UNAUTHORIZED`,
   * which would switch verification off for every connection of the process.
   */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Resolves host names (tests; a resolver of your own). The addresses it returns are still checked. */
  resolve?: HostResolver;
  /** Largest document accepted, bytes (default 5120). */
  maxBytes?: number;
  /** Time limit for the whole fetch, ms (default 5000). */
  timeoutMs?: number;
}

/** Everything a fetch needs, resolved. */
export interface MetadataFetchPolicy {
  /** Hosts (as `URL.hostname` spells them, lower case) whose addresses are not checked: development only. */
  allowedHosts: ReadonlySet<string>;
  ca: string | Buffer | readonly (string | Buffer)[] | undefined;
  resolve: HostResolver;
  maxBytes: number;
  timeoutMs: number;
}

/** What a successful fetch returns: the body as text, and the headers that decide caching. */
export interface FetchedMetadataDocument {
  text: string;
  headers: IncomingHttpHeaders;
}

const USER_AGENT = "chuk-mcp-oauth (client metadata document fetch)";

/** The system resolver, every address, in the order the system prefers. */
export const systemResolver: HostResolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** The policy of `options` with the defaults. */
export function metadataFetchPolicy(
  allowedHosts: Iterable<string>,
  options: ClientMetadataFetchOptions = {},
): MetadataFetchPolicy {
  return {
    allowedHosts: new Set([...allowedHosts].map((h) => h.toLowerCase())),
    ca: options.ca,
    resolve: options.resolve ?? systemResolver,
    maxBytes: options.maxBytes ?? CLIENT_METADATA_FETCH_DEFAULTS.maxBytes,
    timeoutMs: options.timeoutMs ?? CLIENT_METADATA_FETCH_DEFAULTS.timeoutMs,
  };
}

/** Fetches the document at `url` (already checked by `clientIdDocumentUrl`). Throws `ClientMetadataError`. */
export async function fetchMetadataDocument(url: URL, policy: MetadataFetchPolicy): Promise<FetchedMetadataDocument> {
  if (url.protocol !== "https:") {
    throw new ClientMetadataError("invalid_client_id_url", "the client_id URL must use https");
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), policy.timeoutMs);
  try {
    const targets = await untilAborted(vettedAddresses(url, policy), controller.signal);
    return await get(url, targets, policy, controller.signal);
  } catch (err) {
    if (err instanceof ClientMetadataError) throw err;
    if (controller.signal.aborted) {
      throw new ClientMetadataError("timeout", `the metadata document did not arrive within ${policy.timeoutMs} ms`);
    }
    throw new ClientMetadataError("fetch_failed", "the metadata document could not be fetched", { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

// One message whether the host does not resolve or resolves to an internal
// address: telling them apart would let anyone probe our internal DNS.
const NOT_PUBLIC = "the client_id URL's host does not resolve to a public address";

/** The addresses to connect to: the host's, once every one was found public (or the host is allow-listed). Never empty. */
async function vettedAddresses(
  url: URL,
  policy: MetadataFetchPolicy,
): Promise<[ResolvedAddress, ...ResolvedAddress[]]> {
  const allowed = policy.allowedHosts.has(url.hostname.toLowerCase());
  const host = bareHost(url);
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal !== 0) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await policy.resolve(host);
    } catch (cause) {
      throw new ClientMetadataError("refused_address", NOT_PUBLIC, { cause });
    }
  }
  const [first, ...rest] = addresses;
  if (first === undefined) throw new ClientMetadataError("refused_address", NOT_PUBLIC);
  if (!allowed) {
    const special = addresses.map((a) => specialUseRangeOf(a.address)).find((range) => range !== undefined);
    if (special !== undefined) {
      throw new ClientMetadataError("refused_address", NOT_PUBLIC, { cause: new Error(`special-use: ${special}`) });
    }
  }
  return [first, ...rest];
}

/** `URL.hostname` without the brackets of an IPv6 literal. */
const bareHost = (url: URL): string =>
  url.hostname.startsWith("[") && url.hostname.endsWith("]") ? url.hostname.slice(1, -1) : url.hostname;

/**
 * A `lookup` that answers every query with the addresses we checked, so the
 * socket connects to nothing else. All of them when asked for all (Node's
 * happy-eyeballs connect tries each: `localhost` may be ::1 and 127.0.0.1),
 * else the first.
 */
function pinnedLookup(targets: readonly [ResolvedAddress, ...ResolvedAddress[]]): LookupFunction {
  const [first] = targets;
  return (_hostname, options, callback) => {
    if (options.all)
      callback(
        null,
        targets.map(({ address, family }) => ({ address, family })),
      );
    else callback(null, first.address, first.family);
  };
}

/** `promise`, or a rejection as soon as `signal` aborts (a DNS query cannot be cancelled, only abandoned). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function get(
  url: URL,
  targets: readonly [ResolvedAddress, ...ResolvedAddress[]],
  policy: MetadataFetchPolicy,
  signal: AbortSignal,
): Promise<FetchedMetadataDocument> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, value?: FetchedMetadataDocument) => {
      if (settled) return;
      settled = true;
      // Whatever happened, the connection is not kept: nothing more is read from it.
      req.destroy();
      if (err === undefined && value !== undefined) resolve(value);
      else reject(err);
    };
    const req = request(
      {
        protocol: "https:",
        host: bareHost(url),
        port: url.port === "" ? 443 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: {
          accept: "application/json",
          "accept-encoding": "identity",
          "user-agent": USER_AGENT,
        },
        agent: false,
        lookup: pinnedLookup(targets),
        signal,
        ...(policy.ca === undefined ? {} : { ca: policy.ca as string | Buffer | (string | Buffer)[] }),
      },
      (res) => {
        const refusal = responseProblem(res, policy.maxBytes);
        if (refusal !== undefined) return finish(refusal);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxBytes) return finish(tooLarge(policy.maxBytes));
          chunks.push(chunk);
        });
        res.on("error", (err) => finish(err));
        res.on("aborted", () => finish(new Error("response aborted")));
        res.on("end", () => {
          try {
            const text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
            finish(undefined, { text, headers: res.headers });
          } catch {
            finish(new ClientMetadataError("invalid_json", "the metadata document is not valid UTF-8 JSON"));
          }
        });
      },
    );
    req.on("error", (err) => finish(err));
    req.end();
  });
}

/** Why the response's status line and headers already rule it out, or `undefined`. */
function responseProblem(res: IncomingMessage, maxBytes: number): ClientMetadataError | undefined {
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    return new ClientMetadataError(
      "redirect",
      `the metadata document URL answered with a redirect (HTTP ${status}); redirects are not followed`,
    );
  }
  if (status !== 200) {
    return new ClientMetadataError("http_status", `the metadata document URL answered HTTP ${status}, not 200`);
  }
  const type = (res.headers["content-type"] ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    return new ClientMetadataError("content_type", "the metadata document must be served as application/json");
  }
  const length = Number(res.headers["content-length"]);
  if (Number.isFinite(length) && length > maxBytes) return tooLarge(maxBytes);
  return undefined;
}

const tooLarge = (maxBytes: number): ClientMetadataError =>
  new ClientMetadataError("too_large", `the metadata document is larger than ${maxBytes} bytes`);
