import { describe, expect, test } from "vitest";
import type { ListKind } from "../src/registry/change-signal.js";
import { normalizeResourceContents, ResourceRegistry } from "../src/registry/resources.js";

const read = () => "x";

function registry() {
  const changes: ListKind[] = [];
  return { resources: new ResourceRegistry((k) => changes.push(k)), changes };
}

describe("resources", () => {
  test.each([
    ["file:///docs/readme.md", "readme.md"],
    ["config://app", "app"],
    ["test://static/", "static"],
    ["https://example.com/a/b?x=1", "b?x=1"],
  ])("%s gets the name %s when none is given", (uri, name) => {
    const { resources } = registry();
    expect(resources.add(uri, {}, read).definition).toEqual({ uri, name });
  });

  test("options are kept, absent ones are not invented", () => {
    const { resources } = registry();
    const entry = resources.add(
      "test://doc",
      { name: "Doc", title: "The doc", description: "A doc", mimeType: "text/markdown", size: 12, _meta: { a: 1 } },
      read,
    );
    expect(entry.definition).toEqual({
      uri: "test://doc",
      name: "Doc",
      title: "The doc",
      description: "A doc",
      mimeType: "text/markdown",
      size: 12,
      _meta: { a: 1 },
    });
  });

  test("a relative URI, a duplicate and a non-function reader are refused", () => {
    const { resources } = registry();
    expect(() => resources.add("docs/readme.md", {}, read)).toThrow(
      'Resource: "docs/readme.md" is not an absolute URI',
    );
    resources.add("test://a", {}, read);
    expect(() => resources.add("test://a", {}, read)).toThrow('Resource "test://a" is already registered');
    expect(() => resources.add("test://b", {}, "no" as never)).toThrow("reader must be a function");
    expect(resources.list().map((r) => r.uri)).toEqual(["test://a"]);
  });

  test("templates: name defaults to the template; no variables, unknown completers and duplicates are refused", () => {
    const { resources } = registry();
    const entry = resources.addTemplate("test://users/{id}", { description: "A user" }, read);
    expect(entry.definition).toEqual({
      uriTemplate: "test://users/{id}",
      name: "test://users/{id}",
      description: "A user",
    });
    expect(() => resources.addTemplate("test://users/{id}", {}, read)).toThrow("is already registered");
    expect(() => resources.addTemplate("test://fixed", {}, read)).toThrow(
      "has no variables: register it with resource()",
    );
    expect(() => resources.addTemplate("test://t/{a}", { complete: { b: () => [] } }, read)).toThrow(
      'completer for unknown variable "b"',
    );
    expect(resources.listTemplates().map((t) => t.uriTemplate)).toEqual(["test://users/{id}"]);
    // The completers are not part of the wire definition.
    const withCompleter = resources.addTemplate("test://t/{a}", { complete: { a: () => ["x"] } }, read);
    expect("complete" in withCompleter.definition).toBe(false);
    expect(Object.keys(withCompleter.complete)).toEqual(["a"]);
  });

  test("resolve: a fixed resource first, then the first matching template, else nothing", () => {
    const { resources } = registry();
    resources.addTemplate("test://items/{id}", {}, read);
    resources.addTemplate("test://{+rest}", {}, read);
    resources.add("test://items/special", {}, read);
    expect(resources.resolve("test://items/special")?.kind).toBe("resource");
    const t = resources.resolve("test://items/7");
    expect(t?.kind === "template" && t.variables).toEqual({ id: "7" });
    expect(t?.kind === "template" && t.entry.definition.uriTemplate).toBe("test://items/{id}");
    const rest = resources.resolve("test://a/b/c");
    expect(rest?.kind === "template" && rest.variables).toEqual({ rest: "a/b/c" });
    expect(resources.resolve("other://x")).toBeUndefined();
  });

  test("removal and change signals", () => {
    const { resources, changes } = registry();
    resources.add("test://a", {}, read);
    resources.addTemplate("test://t/{x}", {}, read);
    expect(resources.size).toBe(2);
    expect(resources.remove("test://a")).toBe(true);
    expect(resources.remove("test://a")).toBe(false);
    expect(resources.removeTemplate("test://t/{x}")).toBe(true);
    expect(resources.list()).toEqual([]);
    expect(resources.listTemplates()).toEqual([]);
    expect(changes).toEqual(["resources", "resources", "resources", "resources"]);
  });
});

describe("normalizeResourceContents", () => {
  test("a string → text contents with the uri and the declared mimeType", () => {
    expect(normalizeResourceContents("test://a", "hello", "text/plain")).toEqual([
      { uri: "test://a", text: "hello", mimeType: "text/plain" },
    ]);
    expect(normalizeResourceContents("test://a", "hello")).toEqual([{ uri: "test://a", text: "hello" }]);
  });

  test("bytes → base64 blob", () => {
    expect(normalizeResourceContents("test://b", new Uint8Array([0, 1, 2, 255]), "application/octet-stream")).toEqual([
      { uri: "test://b", blob: "AAEC/w==", mimeType: "application/octet-stream" },
    ]);
  });

  test("one item without a uri gets it; its own mimeType wins", () => {
    expect(normalizeResourceContents("test://c", { text: "{}", mimeType: "application/json" }, "text/plain")).toEqual([
      { uri: "test://c", text: "{}", mimeType: "application/json" },
    ]);
    expect(normalizeResourceContents("test://c", { blob: "AA==" })).toEqual([{ uri: "test://c", blob: "AA==" }]);
  });

  test("a list of contents passes through, mimeType filled only where absent", () => {
    expect(
      normalizeResourceContents(
        "test://d",
        [
          { uri: "test://d/1", text: "one" },
          { uri: "test://d/2", text: "two", mimeType: "text/html" },
        ],
        "text/plain",
      ),
    ).toEqual([
      { uri: "test://d/1", text: "one", mimeType: "text/plain" },
      { uri: "test://d/2", text: "two", mimeType: "text/html" },
    ]);
  });
});
