import { describe, expect, test } from "vitest";
import {
  isRegisteredRedirectUri,
  MAX_REDIRECT_URI_LENGTH,
  redirectUriProblem,
} from "../../src/clients/redirect-uris.js";
import type { ClientRecord } from "../../src/store/records.js";

const clientWith = (...redirectUris: string[]): ClientRecord => ({
  clientId: "client-1",
  redirectUris,
  grantTypes: ["authorization_code"],
  responseTypes: ["code"],
  tokenEndpointAuthMethod: "none",
  applicationType: "web",
  issuedAt: 1_700_000_000,
});

describe("isRegisteredRedirectUri", () => {
  test("an exact match of a registered https URI", () => {
    const client = clientWith("https://app.example/cb", "https://app.example/other?x=1");
    expect(isRegisteredRedirectUri(client, "https://app.example/cb")).toBe(true);
    expect(isRegisteredRedirectUri(client, "https://app.example/other?x=1")).toBe(true);
  });

  test("https: a different path, query, port, case, trailing slash or fragment is refused", () => {
    const client = clientWith("https://app.example/cb?x=1");
    for (const requested of [
      "https://app.example/cb",
      "https://app.example/cb?x=2",
      "https://app.example/cb?x=1&y=2",
      "https://app.example/cb/?x=1",
      "https://app.example/CB?x=1",
      "https://APP.example/cb?x=1",
      "https://app.example:8443/cb?x=1",
      "https://app.example:443/cb?x=1",
      "https://app.example/cb?x=1#f",
      "https://app.example.evil/cb?x=1",
      "http://app.example/cb?x=1",
      "",
    ]) {
      expect(isRegisteredRedirectUri(client, requested), requested).toBe(false);
    }
  });

  test("https with a port: the same port only", () => {
    const client = clientWith("https://app.example:8443/cb");
    expect(isRegisteredRedirectUri(client, "https://app.example:8443/cb")).toBe(true);
    expect(isRegisteredRedirectUri(client, "https://app.example:9443/cb")).toBe(false);
    expect(isRegisteredRedirectUri(client, "https://app.example/cb")).toBe(false);
  });

  test.each([
    ["127.0.0.1", "http://127.0.0.1/callback"],
    ["[::1]", "http://[::1]/callback"],
    ["localhost", "http://localhost/callback"],
  ])("loopback %s: any port matches a registration without a port (RFC 8252 §7.3)", (host, registered) => {
    const client = clientWith(registered);
    expect(isRegisteredRedirectUri(client, `http://${host}:53123/callback`)).toBe(true);
    expect(isRegisteredRedirectUri(client, `http://${host}:1/callback`)).toBe(true);
    expect(isRegisteredRedirectUri(client, `http://${host}/callback`)).toBe(true);
  });

  test("loopback: a registration with a port matches any other port too", () => {
    const client = clientWith("http://127.0.0.1:3000/cb?app=1");
    expect(isRegisteredRedirectUri(client, "http://127.0.0.1:3000/cb?app=1")).toBe(true);
    expect(isRegisteredRedirectUri(client, "http://127.0.0.1:49152/cb?app=1")).toBe(true);
    expect(isRegisteredRedirectUri(client, "http://127.0.0.1/cb?app=1")).toBe(true);
  });

  test("loopback: scheme, host, path and query must still match exactly", () => {
    const client = clientWith("http://127.0.0.1/cb?app=1");
    for (const requested of [
      "http://127.0.0.1:5000/cb",
      "http://127.0.0.1:5000/cb?app=2",
      "http://127.0.0.1:5000/cb/?app=1",
      "http://127.0.0.1:5000/other?app=1",
      "http://localhost:5000/cb?app=1",
      "http://[::1]:5000/cb?app=1",
      "https://127.0.0.1:5000/cb?app=1",
      "http://127.0.0.1:5000/cb?app=1#frag",
    ]) {
      expect(isRegisteredRedirectUri(client, requested), requested).toBe(false);
    }
  });

  test("loopback look-alikes and bad ports are not loopback", () => {
    const client = clientWith("http://localhost/cb");
    for (const requested of [
      "http://localhost.evil.example/cb",
      "http://localhost:80@evil.example/cb",
      "http://localhost:0/cb",
      "http://localhost:70000/cb",
      "http://localhost:/cb",
    ]) {
      expect(isRegisteredRedirectUri(client, requested), requested).toBe(false);
    }
  });

  test("a loopback port rule never applies to a non-loopback registration", () => {
    const client = clientWith("https://localhost.example/cb");
    expect(isRegisteredRedirectUri(client, "http://localhost:5000/cb")).toBe(false);
  });

  test("a client with no redirect URIs matches nothing", () => {
    expect(isRegisteredRedirectUri(clientWith(), "http://127.0.0.1:5000/cb")).toBe(false);
  });
});

describe("redirectUriProblem", () => {
  test.each([
    ["https://app.example/cb", "web"],
    ["https://app.example:8443/cb?x=1", "web"],
    ["http://127.0.0.1/cb", "web"],
    ["http://127.0.0.1:8080/cb", "web"],
    ["http://[::1]:8080/cb", "web"],
    ["http://localhost:6274/oauth/callback", "web"],
    ["http://localhost/cb", "native"],
    ["https://app.example/cb", "native"],
    ["com.example.app:/oauth2redirect", "native"],
    ["com.example.app://callback", "native"],
  ] as const)("%s (%s) is allowed", (uri, type) => {
    expect(redirectUriProblem(uri, type)).toBeUndefined();
  });

  test.each([
    ["https://app.example/cb#frag", "fragment"],
    ["https://app.example/cb#", "fragment"],
    ["http://app.example/cb", "loopback"],
    ["http://127.0.0.2/cb", "loopback"],
    ["http://localhost.example/cb", "loopback"],
    ["javascript:alert(1)", "javascript"],
    ["JavaScript:alert(1)", "javascript"],
    ["data:text/html,hi", "data"],
    ["file:///etc/passwd", "file"],
    ["vbscript:msgbox", "vbscript"],
    ["blob:https://app.example/x", "blob"],
    ["about:blank", "about"],
    ["/relative/cb", "absolute"],
    ["app.example/cb", "absolute"],
    ["https://user:pw@app.example/cb", "credentials"],
    [" https://app.example/cb", "whitespace"],
    ["https://app.example/c b", "whitespace"],
    ["https://app.example/cb\n", "whitespace"],
    ["https://app.example/caf\u00e9", "non-ASCII"],
    ["ftp://app.example/cb", "scheme"],
    ["myapp:/cb", "scheme"],
    ["", "empty"],
  ])("%j is refused (%s)", (uri, reason) => {
    expect(redirectUriProblem(uri, "native")).toContain(reason);
  });

  test("a private-use scheme only for native clients", () => {
    expect(redirectUriProblem("com.example.app:/cb", "web")).toContain('application_type "native"');
    expect(redirectUriProblem("com.example.app:/cb", "native")).toBeUndefined();
  });

  test("length is bounded", () => {
    const base = "https://app.example/";
    expect(redirectUriProblem(base + "a".repeat(MAX_REDIRECT_URI_LENGTH - base.length), "web")).toBeUndefined();
    expect(redirectUriProblem(base + "a".repeat(MAX_REDIRECT_URI_LENGTH - base.length + 1), "web")).toContain(
      "longer than",
    );
  });
});
