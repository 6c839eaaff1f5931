/**
 * Reverse proxies: which peers may speak for the client through
 * `X-Forwarded-For|Proto|Host|Prefix`. Not trusted (the default), those
 * headers are ignored: the Host check reads `Host`, `req.ip` is the peer.
 * Trusted, fastify's `req.host`, `req.protocol` and `req.ip` follow them, and
 * `forwardedBaseUrl(req)` says what public URL the proxy reports.
 *
 * The setting (option `trustProxy`, variable `TRUST_PROXY`):
 * - `true`: every peer (only when nothing but the proxy can reach the server);
 * - a hop count `n`: the nearest `n` hops, whatever their address (the same caveat);
 * - addresses and CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`
 *   (an array, or a comma-separated string): only peers in them.
 */
import { BlockList, isIP, isIPv6 } from "node:net";
import type { FastifyRequest } from "fastify";
import { z } from "zod";

/** A validated setting: `false` trusts no one. */
export type TrustProxy = boolean | number | string[];

/** Whether the `hop`-th address back (0: the socket's peer) may speak for the client. */
export type TrustFunction = (address: string | undefined, hop: number) => boolean;

/** Named ranges, as proxy-addr (express, fastify) names them. */
const NAMED_RANGES: Record<string, readonly [string, number][]> = {
  loopback: [
    ["127.0.0.0", 8],
    ["::1", 128],
  ],
  linklocal: [
    ["169.254.0.0", 16],
    ["fe80::", 10],
  ],
  uniquelocal: [
    ["10.0.0.0", 8],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
    ["fc00::", 7],
  ],
};

const MESSAGE =
  "must be true, false, a hop count, or addresses / CIDR ranges / loopback, linklocal, uniquelocal (comma-separated)";

/** An address, a CIDR range or a named range. */
function isTrustEntry(entry: string): boolean {
  if (Object.hasOwn(NAMED_RANGES, entry) || isIP(entry) !== 0) return true;
  const slash = entry.indexOf("/");
  if (slash === -1) return false;
  const version = isIP(entry.slice(0, slash));
  const bits = entry.slice(slash + 1);
  return version !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

/** The text form (`TRUST_PROXY`): `true`, `false`, a hop count, or a comma-separated list. */
function parseText(text: string): TrustProxy | undefined {
  const t = text.trim().toLowerCase();
  if (t === "true") return true;
  if (t === "false" || t === "") return false;
  if (/^\d+$/.test(t)) return Number(t) === 0 ? false : Number(t);
  const entries = t.split(",").map((e) => e.trim());
  return entries.every(isTrustEntry) ? entries : undefined;
}

/** The `trustProxy` option, normalized: a string is read as `TRUST_PROXY` is. */
export const trustProxySchema = z
  .union([z.boolean(), z.number(), z.string(), z.array(z.string())], { error: MESSAGE })
  .transform((value, ctx): TrustProxy => {
    let parsed: TrustProxy | undefined;
    if (typeof value === "string") parsed = parseText(value);
    else if (typeof value === "number")
      parsed = Number.isSafeInteger(value) && value >= 0 ? value > 0 && value : undefined;
    else if (Array.isArray(value)) {
      const entries = value.map((e) => e.trim().toLowerCase());
      parsed = entries.every(isTrustEntry) ? entries : undefined;
    } else parsed = value;
    if (parsed === undefined) {
      ctx.addIssue({ code: "custom", message: MESSAGE });
      return z.NEVER;
    }
    return parsed;
  });

/** The function fastify's `trustProxy` is given; `undefined` when no one is trusted. */
export function trustFunction(setting: TrustProxy): TrustFunction | undefined {
  if (setting === false || (Array.isArray(setting) && setting.length === 0)) return undefined;
  if (setting === true) return () => true;
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  const list = new BlockList();
  for (const entry of setting) {
    const named = Object.hasOwn(NAMED_RANGES, entry) ? NAMED_RANGES[entry] : undefined;
    if (named) for (const [address, bits] of named) list.addSubnet(address, bits, isIPv6(address) ? "ipv6" : "ipv4");
    else if (entry.includes("/")) {
      const [address = "", bits = ""] = entry.split("/");
      list.addSubnet(address, Number(bits), isIPv6(address) ? "ipv6" : "ipv4");
    } else list.addAddress(entry, isIPv6(entry) ? "ipv6" : "ipv4");
  }
  // An IPv4-mapped IPv6 peer (::ffff:127.0.0.1) matches the IPv4 ranges.
  return (address) =>
    address !== undefined && isIP(address) !== 0 && list.check(address, isIPv6(address) ? "ipv6" : "ipv4");
}

/** Where the HTTP app keeps its trust function, for `forwardedBaseUrl`. */
export const TRUST_DECORATOR = "chukTrustProxy";

const lastEntry = (value: string | string[] | undefined): string | undefined => {
  const v = Array.isArray(value) ? value.at(-1) : value;
  if (v === undefined) return undefined;
  const entry = v.slice(v.lastIndexOf(",") + 1).trim();
  return entry === "" ? undefined : entry;
};

/**
 * The public base URL a trusted reverse proxy reports for this request:
 * origin from `X-Forwarded-Proto` and `X-Forwarded-Host` (falling back to
 * the request's own), and the path prefix it stripped (`X-Forwarded-Prefix`,
 * `undefined` when it sent none). `undefined` when the request came from a
 * peer that is not trusted, or carries no `X-Forwarded-Host|Proto|Prefix`.
 */
export function forwardedBaseUrl(req: FastifyRequest): { origin: string; prefix: string | undefined } | undefined {
  const trust = (req.server as unknown as Record<string, TrustFunction | null | undefined>)[TRUST_DECORATOR];
  if (!trust?.(req.socket.remoteAddress, 0)) return undefined;
  const h = req.headers;
  const forwarded =
    h["x-forwarded-host"] !== undefined ||
    h["x-forwarded-proto"] !== undefined ||
    h["x-forwarded-prefix"] !== undefined;
  if (!forwarded) return undefined;
  const rawPrefix = lastEntry(h["x-forwarded-prefix"]);
  const prefix = rawPrefix === undefined ? undefined : `/${rawPrefix.replace(/^\/+|\/+$/g, "")}`.replace(/^\/$/, "");
  let origin: string;
  try {
    origin = new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    origin = `${req.protocol}://${req.host}`;
  }
  return { origin, prefix };
}
