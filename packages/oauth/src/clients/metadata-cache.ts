/**
 * How long a fetched Client ID Metadata Document is kept, from its HTTP
 * cache headers (RFC 9111), within our bounds (the draft's "Metadata
 * Caching" allows them):
 *
 * - `Cache-Control: no-store` or `no-cache`, or a lifetime of 0 or less
 *   (`max-age=0`, an `Expires` in the past or unreadable): not kept, every
 *   use fetches again;
 * - otherwise `s-maxage`, else `max-age` (less `Age`), else `Expires` less
 *   `Date`: at least 60 s (a document must not make us fetch it on every
 *   request) and at most 24 h (a changed document is seen within a day);
 * - no cache headers at all: 5 minutes.
 *
 * Only valid documents are kept: a failed fetch or an invalid document is
 * never cached (the draft's "Metadata Caching" forbids it), so a fixed
 * document works at once.
 */
import type { IncomingHttpHeaders } from "node:http";

/** The bounds, in seconds. */
export const CLIENT_METADATA_CACHE_SECONDS = {
  min: 60,
  default: 300,
  max: 86_400,
} as const;

/** Seconds to keep a document served with `headers` (0 = do not keep). `now` in ms. */
export function cacheLifetimeOf(headers: IncomingHttpHeaders, now: number = Date.now()): number {
  const lifetime = freshnessLifetime(headers, now);
  if (lifetime === undefined) return CLIENT_METADATA_CACHE_SECONDS.default;
  if (lifetime <= 0) return 0;
  return Math.min(Math.max(Math.ceil(lifetime), CLIENT_METADATA_CACHE_SECONDS.min), CLIENT_METADATA_CACHE_SECONDS.max);
}

/** The server's freshness lifetime in seconds, `undefined` when it states none. */
function freshnessLifetime(headers: IncomingHttpHeaders, now: number): number | undefined {
  const directives = cacheControl(headers["cache-control"]);
  if (directives.has("no-store") || directives.has("no-cache")) return 0;
  const age = nonNegative(header(headers.age)) ?? 0;
  for (const name of ["s-maxage", "max-age"]) {
    if (directives.has(name)) {
      const seconds = nonNegative(directives.get(name));
      // A malformed max-age is treated as stale (RFC 9111 §4.2.1).
      return seconds === undefined ? 0 : seconds - age;
    }
  }
  const expires = header(headers.expires);
  if (expires === undefined) return undefined;
  const expiresAt = Date.parse(expires);
  if (!Number.isFinite(expiresAt)) return 0;
  const date = Date.parse(header(headers.date) ?? "");
  return (expiresAt - (Number.isFinite(date) ? date : now)) / 1000;
}

/** `Cache-Control` directives, names lower-cased, quoted values unquoted. */
function cacheControl(value: string | string[] | undefined): Map<string, string | undefined> {
  const directives = new Map<string, string | undefined>();
  const text = Array.isArray(value) ? value.join(",") : (value ?? "");
  for (const part of text.split(",")) {
    const [name = "", ...rest] = part.split("=");
    const key = name.trim().toLowerCase();
    if (key === "") continue;
    const raw = rest.length === 0 ? undefined : rest.join("=").trim();
    directives.set(key, raw?.replace(/^"(.*)"$/, "$1"));
  }
  return directives;
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const nonNegative = (value: string | undefined): number | undefined =>
  value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
