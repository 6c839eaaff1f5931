import { describe, expect, test } from "vitest";
import { compileUriTemplate } from "../src/registry/uri-template.js";

describe("compileUriTemplate", () => {
  test("{var}: one segment, no slash", () => {
    const t = compileUriTemplate("file:///docs/{name}");
    expect(t.variables).toEqual(["name"]);
    expect(t.match("file:///docs/readme.md")).toEqual({ name: "readme.md" });
    expect(t.match("file:///docs/a/b.md")).toBeUndefined();
    expect(t.match("file:///docs/")).toBeUndefined();
  });

  test("several {var}s in one template", () => {
    const t = compileUriTemplate("repo://{owner}/{repo}/issues/{n}");
    expect(t.variables).toEqual(["owner", "repo", "n"]);
    expect(t.match("repo://octo/hello/issues/42")).toEqual({ owner: "octo", repo: "hello", n: "42" });
    expect(t.match("repo://octo/hello/pulls/42")).toBeUndefined();
  });

  test("{+var}: reserved expansion may contain slashes", () => {
    const t = compileUriTemplate("file:///{+path}");
    expect(t.match("file:///a/b/c.txt")).toEqual({ path: "a/b/c.txt" });
    expect(t.match("file:///")).toBeUndefined();
  });

  test("{#var}: a fragment", () => {
    const t = compileUriTemplate("doc://page{#section}");
    expect(t.match("doc://page#intro")).toEqual({ section: "intro" });
    expect(t.match("doc://pageintro")).toBeUndefined();
  });

  test("{/var}: a path segment with its slash", () => {
    const t = compileUriTemplate("api://users{/id}");
    expect(t.variables).toEqual(["id"]);
    expect(t.match("api://users/42")).toEqual({ id: "42" });
    expect(t.match("api://users/42/posts")).toBeUndefined();
  });

  test("{?a,b}: query parameters in any order, all optional", () => {
    const t = compileUriTemplate("search://items{?q,limit}");
    expect(t.variables).toEqual(["q", "limit"]);
    expect(t.match("search://items?q=cats&limit=5")).toEqual({ q: "cats", limit: "5" });
    expect(t.match("search://items?limit=5&q=cats")).toEqual({ q: "cats", limit: "5" });
    expect(t.match("search://items?q=only")).toEqual({ q: "only" });
    expect(t.match("search://items")).toEqual({});
    expect(t.match("search://items?other=1")).toEqual({});
    expect(t.match("search://items?q=a%20b+c")).toEqual({ q: "a b c" });
  });

  test("a path variable and a query expression together", () => {
    const t = compileUriTemplate("db://{table}{?where}");
    expect(t.match("db://users?where=age%3E3")).toEqual({ table: "users", where: "age>3" });
    expect(t.match("db://users")).toEqual({ table: "users" });
  });

  test("{?a}{&b}: two query expressions in one template", () => {
    const t = compileUriTemplate("x://y{?a}{&b}");
    expect(t.variables).toEqual(["a", "b"]);
    expect(t.match("x://y?a=1&b=2")).toEqual({ a: "1", b: "2" });
    expect(t.match("x://y?b=2")).toEqual({ b: "2" });
  });

  test("{&var} after a literal query", () => {
    const t = compileUriTemplate("x://y?fixed=1{&b}");
    expect(t.match("x://y?fixed=1&b=2")).toEqual({ b: "2" });
    expect(t.match("x://y?fixed=2&b=2")).toBeUndefined();
  });

  test("no match: another scheme, extra text, a prefix only", () => {
    const t = compileUriTemplate("weather://{city}/today");
    expect(t.match("weather://paris/today")).toEqual({ city: "paris" });
    expect(t.match("climate://paris/today")).toBeUndefined();
    expect(t.match("weather://paris/today/extra")).toBeUndefined();
    expect(t.match("xweather://paris/today")).toBeUndefined();
    expect(t.match("weather://paris")).toBeUndefined();
  });

  test("literal characters are not regular-expression syntax", () => {
    const t = compileUriTemplate("a.b+c://{x}");
    expect(t.match("a.b+c://1")).toEqual({ x: "1" });
    expect(t.match("aXbbc://1")).toBeUndefined();
  });

  test("percent-encoded values are decoded", () => {
    const t = compileUriTemplate("file:///{name}");
    expect(t.match("file:///hello%20world.txt")).toEqual({ name: "hello world.txt" });
    expect(t.match("file:///caf%C3%A9")).toEqual({ name: "café" });
    const plus = compileUriTemplate("file:///{+path}");
    expect(plus.match("file:///dir%20one/f.txt")).toEqual({ path: "dir one/f.txt" });
  });

  test("an encoded slash or dot-segment cannot smuggle a path into a one-segment variable", () => {
    const t = compileUriTemplate("file:///{name}");
    expect(t.match("file:///..%2F..%2Fetc%2Fpasswd")).toBeUndefined();
    expect(t.match("file:///%2E%2E")).toBeUndefined();
    expect(t.match("file:///a%2Fb")).toBeUndefined();
    const seg = compileUriTemplate("x://host{/dir}/f");
    expect(seg.match("x://host/a%2Fb/f")).toBeUndefined();
    const plus = compileUriTemplate("file:///{+path}");
    expect(plus.match("file:///a%2Fb")).toEqual({ path: "a/b" });
  });

  test("a malformed percent-encoding is kept as sent", () => {
    const t = compileUriTemplate("file:///{name}");
    expect(t.match("file:///bad%E0%A4%A")).toEqual({ name: "bad%E0%A4%A" });
    expect(t.match("file:///100%")).toEqual({ name: "100%" });
  });

  test("a template without expressions matches itself only", () => {
    const t = compileUriTemplate("config://app");
    expect(t.variables).toEqual([]);
    expect(t.match("config://app")).toEqual({});
    expect(t.match("config://apps")).toBeUndefined();
  });

  test("several names in a non-query expression are refused", () => {
    expect(() => compileUriTemplate("x://{a,b}")).toThrow("only one variable per expression is supported");
  });
});
