/**
 * Reading the bearer token of a request (RFC 6750 §2.1, OAuth 2.1 §5.1): the
 * header form only, strict token68 syntax, case-insensitive scheme; the
 * query form, repeated headers and other schemes are refused with the error
 * code RFC 6750 §3.1 names (or none, for another scheme).
 */
import { describe, expect, test } from "vitest";
import { ResourceServerError } from "../../src/errors.js";
import { readBearerToken } from "../../src/resource/bearer.js";

const read = (authorization: string | string[] | undefined, url = "/mcp") =>
  readBearerToken({ url, headers: authorization === undefined ? {} : { authorization } });

/** The refusal `fn` throws: its error code (`undefined` = a bare challenge) and description. */
function refusalOf(fn: () => unknown): { code: string | undefined; description: string | undefined } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ResourceServerError);
    const e = err as ResourceServerError;
    return { code: e.code, description: e.description };
  }
  throw new Error("expected a refusal");
}

describe("readBearerToken", () => {
  test("no Authorization header: no credentials, not an error", () => {
    expect(read(undefined)).toBeUndefined();
  });

  test("the token of a Bearer credential, whatever the scheme's case, with one or more spaces", () => {
    expect(read("Bearer abc.DEF-_~+/xyz==")).toBe("abc.DEF-_~+/xyz==");
    expect(read("bearer tok")).toBe("tok");
    expect(read("BEARER tok")).toBe("tok");
    expect(read("Bearer   tok")).toBe("tok");
  });

  test.each([
    ["an empty header", ""],
    ["the scheme alone", "Bearer"],
    ["the scheme and spaces", "Bearer   "],
    ["a token with a space inside", "Bearer abc def"],
    ["two credentials folded into one header", "Bearer abc, Bearer def"],
    ["a token with a quote", 'Bearer "abc"'],
    ["a token with padding in the middle", "Bearer ab=c"],
    ["a token with non-ASCII", "Bearer abcé"],
  ])("%s → invalid_request", (_what, header) => {
    expect(refusalOf(() => read(header)).code).toBe("invalid_request");
  });

  test("two Authorization headers → invalid_request", () => {
    const { code, description } = refusalOf(() => read(["Bearer a", "Bearer b"]));
    expect(code).toBe("invalid_request");
    expect(description).toContain("more than one Authorization header");
  });

  test("an access_token in the query → invalid_request, with or without a header", () => {
    for (const header of [undefined, "Bearer tok"]) {
      const { code, description } = refusalOf(() => read(header, "/mcp?access_token=tok"));
      expect(code).toBe("invalid_request");
      expect(description).toContain("never in the URI query");
    }
    expect(refusalOf(() => read(undefined, "/mcp?x=1&access_token=")).code).toBe("invalid_request");
  });

  test("other query parameters are not credentials", () => {
    expect(read(undefined, "/mcp?token=x&access=y")).toBeUndefined();
  });

  test("another scheme (Basic, Digest, DPoP) → a challenge without an error code (RFC 6750 §3.1)", () => {
    for (const header of ["Basic dXNlcjpwYXNz", "Digest username=x", "DPoP tok"]) {
      const { code, description } = refusalOf(() => read(header));
      expect(code).toBeUndefined();
      expect(description).toContain("only Bearer");
    }
  });
});
