/** How long a fetched metadata document is cached, from its HTTP cache headers and our bounds. */
import { describe, expect, test } from "vitest";
import { CLIENT_METADATA_CACHE_SECONDS, cacheLifetimeOf } from "../../src/clients/metadata-cache.js";

const NOW = Date.parse("2026-07-28T12:00:00Z");
const at = (seconds: number) => new Date(NOW + seconds * 1000).toUTCString();

describe("cacheLifetimeOf", () => {
  test("bounds: 60 s, 5 min by default, 24 h", () => {
    expect(CLIENT_METADATA_CACHE_SECONDS).toEqual({ min: 60, default: 300, max: 86_400 });
  });

  test.each<[string, Record<string, string>, number]>([
    ["no cache headers: the default", {}, 300],
    ["max-age", { "cache-control": "public, max-age=600" }, 600],
    ["max-age below the minimum is raised", { "cache-control": "max-age=5" }, 60],
    ["max-age above the maximum is capped", { "cache-control": "max-age=31536000" }, 86_400],
    ["max-age less Age", { "cache-control": "max-age=600", age: "100" }, 500],
    ["s-maxage wins over max-age (we are a shared cache)", { "cache-control": "max-age=60, s-maxage=900" }, 900],
    ["quoted values", { "cache-control": 'max-age="120"' }, 120],
    ["no-store: not cached", { "cache-control": "no-store, max-age=600" }, 0],
    ["no-cache: not cached", { "cache-control": "No-Cache" }, 0],
    ["max-age=0: not cached", { "cache-control": "max-age=0" }, 0],
    ["a malformed max-age counts as stale", { "cache-control": "max-age=soon" }, 0],
    ["Age beyond max-age: not cached", { "cache-control": "max-age=60", age: "61" }, 0],
    ["Expires less Date", { expires: at(1800), date: at(0) }, 1800],
    ["Expires without Date: from now", { expires: at(7200) }, 7200],
    ["max-age wins over Expires", { "cache-control": "max-age=120", expires: at(7200) }, 120],
    ["Expires in the past: not cached", { expires: at(-10), date: at(0) }, 0],
    ["an unreadable Expires (0) counts as expired", { expires: "0" }, 0],
  ])("%s", (_name, headers, seconds) => {
    expect(cacheLifetimeOf(headers, NOW)).toBe(seconds);
  });
});
