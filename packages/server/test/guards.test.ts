import { describe, expect, test } from "vitest";
import { McpHttpError } from "../src/protocol/errors.js";
import {
  acceptedTypes,
  checkOriginAndHost,
  isLoopbackHost,
  type OriginPolicy,
  originPolicy,
} from "../src/transports/http/guards.js";

/** The 403 a check throws (its message), or "ok". */
function verdict(policy: OriginPolicy, host: string | undefined, origin?: string): string {
  try {
    checkOriginAndHost(policy, host, origin);
    return "ok";
  } catch (err) {
    if (!(err instanceof McpHttpError)) throw err;
    expect(err.status).toBe(403);
    expect(err.code).toBe(-32000);
    return err.message;
  }
}

describe("isLoopbackHost", () => {
  test.each(["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"])("%s is loopback", (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  test.each(["0.0.0.0", "10.0.0.1", "example.com", "127.0.0.1.nip.io", "localhost.evil.com", "::"])(
    "%s is not",
    (h) => {
      expect(isLoopbackHost(h)).toBe(false);
    },
  );
});

describe("a loopback bind (127.0.0.1)", () => {
  const policy = originPolicy("127.0.0.1", [], undefined);

  test.each(["127.0.0.1:8000", "127.0.0.1", "localhost:8000", "LocalHost:1", "[::1]:8000", "[::1]"])(
    "Host %s is accepted",
    (host) => {
      expect(verdict(policy, host)).toBe("ok");
    },
  );

  test.each([
    ["evil.com", "Invalid Host: evil.com"],
    ["evil.com:8000", "Invalid Host: evil.com:8000"],
    ["127.0.0.1.evil.com:8000", "Invalid Host: 127.0.0.1.evil.com:8000"],
    ["localhost.evil.com", "Invalid Host: localhost.evil.com"],
    ["0.0.0.0:8000", "Invalid Host: 0.0.0.0:8000"],
  ])("Host %s is refused (DNS rebinding)", (host, message) => {
    expect(verdict(policy, host)).toBe(message);
  });

  test("a missing Host is refused", () => {
    expect(verdict(policy, undefined)).toBe("Invalid Host: (none)");
  });

  test("remembering the last good Host never lets a different one through", () => {
    const fresh = originPolicy("127.0.0.1", [], undefined);
    expect(verdict(fresh, "127.0.0.1:8000")).toBe("ok");
    expect(verdict(fresh, "127.0.0.1:8000")).toBe("ok");
    expect(verdict(fresh, "evil.com:8000")).toBe("Invalid Host: evil.com:8000");
    expect(verdict(fresh, undefined)).toBe("Invalid Host: (none)");
    expect(verdict(fresh, "127.0.0.1:8000")).toBe("ok");
  });

  test("no Origin (not a browser) is accepted", () => {
    expect(verdict(policy, "127.0.0.1:8000", undefined)).toBe("ok");
  });

  test.each(["http://localhost:3000", "http://127.0.0.1:8000", "https://[::1]:5173", "http://127.0.0.2"])(
    "a loopback Origin (%s) is accepted",
    (origin) => {
      expect(verdict(policy, "127.0.0.1:8000", origin)).toBe("ok");
    },
  );

  test.each([
    ["https://evil.com", "Origin not allowed: https://evil.com"],
    ["http://localhost.evil.com", "Origin not allowed: http://localhost.evil.com"],
    ["null", "Invalid Origin: null"],
    ["not a url", "Invalid Origin: not a url"],
  ])("a foreign or malformed Origin (%s) is refused", (origin, message) => {
    expect(verdict(policy, "127.0.0.1:8000", origin)).toBe(message);
  });

  test("an Origin that merely ends with the Host is refused", () => {
    expect(verdict(policy, "127.0.0.1:8000", "http://evil.com//127.0.0.1:8000")).toBe(
      "Origin not allowed: http://evil.com//127.0.0.1:8000",
    );
  });
});

describe("a wildcard bind (0.0.0.0)", () => {
  const policy = originPolicy("0.0.0.0", [], undefined);

  test("any Host is accepted", () => {
    expect(policy.allowedHosts).toBeUndefined();
    expect(verdict(policy, "mcp.example.com")).toBe("ok");
    expect(verdict(policy, "10.1.2.3:8000")).toBe("ok");
    expect(verdict(policy, undefined)).toBe("ok");
  });

  test("a foreign Origin is still refused; loopback and same-origin pages are accepted", () => {
    expect(verdict(policy, "mcp.example.com:8000", "https://evil.com")).toBe("Origin not allowed: https://evil.com");
    expect(verdict(policy, "mcp.example.com:8000", "http://localhost:3000")).toBe("ok");
    expect(verdict(policy, "mcp.example.com:8000", "http://mcp.example.com:8000")).toBe("ok");
    expect(verdict(policy, "MCP.example.com:8000", "https://mcp.EXAMPLE.com:8000")).toBe("ok");
    expect(verdict(policy, "mcp.example.com:8000", "http://mcp.example.com:9000")).toBe(
      "Origin not allowed: http://mcp.example.com:9000",
    );
  });
});

describe("configured lists", () => {
  test("allowedHosts replaces the loopback default, by hostname or hostname:port, case-insensitively", () => {
    const policy = originPolicy("127.0.0.1", [], ["mcp.example.com", "Other.example.com:8443"]);
    expect(verdict(policy, "mcp.example.com")).toBe("ok");
    expect(verdict(policy, "MCP.example.com:443")).toBe("ok");
    expect(verdict(policy, "other.example.com:8443")).toBe("ok");
    expect(verdict(policy, "other.example.com:9999")).toBe("Invalid Host: other.example.com:9999");
    expect(verdict(policy, "localhost:8000")).toBe("Invalid Host: localhost:8000");
  });

  test("allowedHosts on a wildcard bind turns the Host check on", () => {
    const policy = originPolicy("0.0.0.0", [], ["mcp.example.com"]);
    expect(verdict(policy, "mcp.example.com:8000")).toBe("ok");
    expect(verdict(policy, "evil.com")).toBe("Invalid Host: evil.com");
  });

  test("allowedOrigins admits exactly the listed origins", () => {
    const policy = originPolicy("127.0.0.1", ["https://app.example.com"], undefined);
    expect(verdict(policy, "localhost:8000", "https://app.example.com")).toBe("ok");
    expect(verdict(policy, "localhost:8000", "https://app.example.com.evil.com")).toBe(
      "Origin not allowed: https://app.example.com.evil.com",
    );
    expect(verdict(policy, "localhost:8000", "http://app.example.com")).toBe(
      "Origin not allowed: http://app.example.com",
    );
  });

  test('allowedOrigins ["*"] admits any origin, even a malformed one', () => {
    const policy = originPolicy("127.0.0.1", ["*"], undefined);
    expect(verdict(policy, "localhost:8000", "https://anything.example")).toBe("ok");
    expect(verdict(policy, "localhost:8000", "null")).toBe("ok");
    // The Host check still applies.
    expect(verdict(policy, "evil.com", "https://anything.example")).toBe("Invalid Host: evil.com");
  });
});

describe("acceptedTypes", () => {
  test.each([
    [undefined, { json: true, sse: true }],
    ["", { json: true, sse: true }],
    ["application/json, text/event-stream", { json: true, sse: true }],
    ["application/json", { json: true, sse: false }],
    ["text/event-stream", { json: false, sse: true }],
    ["TEXT/EVENT-STREAM", { json: false, sse: true }],
    ["*/*", { json: true, sse: true }],
    ["application/*", { json: true, sse: false }],
    ["text/*", { json: false, sse: true }],
    ["text/html, application/xml;q=0.9", { json: false, sse: false }],
    ["text/plain", { json: false, sse: false }],
    ["application/json;q=0.9, text/event-stream;q=0.8", { json: true, sse: true }],
  ])("Accept %j → %j", (accept, expected) => {
    expect(acceptedTypes(accept)).toEqual(expected);
  });
});
