/**
 * CORS on the MCP endpoint: browser clients (the MCP Inspector's direct
 * mode, web apps) get a preflight answer and can read the session id and the
 * auth challenge; origins the Origin check refuses get nothing but 403.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type StartedServer, startEverything } from "./helpers/everything.js";
import { legacyInitialize, modernBody, modernPost, sessionHeaders } from "./helpers/mcp-http.js";

const PAGE = "http://localhost:6274";

let server: StartedServer;
beforeAll(async () => {
  server = await startEverything();
});
afterAll(async () => {
  await server?.close();
});

describe("CORS on /mcp", () => {
  test("a preflight from a loopback page: 204 with methods and the headers asked for", async () => {
    const res = await fetch(server.url, {
      method: "OPTIONS",
      headers: {
        origin: PAGE,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization, mcp-protocol-version, mcp-method",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, DELETE, OPTIONS");
    expect(res.headers.get("access-control-allow-headers")).toBe(
      "content-type, authorization, mcp-protocol-version, mcp-method",
    );
    expect(res.headers.get("vary")).toContain("Origin");
  });

  test("answers name the page's origin and expose the session id and the challenge, on JSON and SSE alike", async () => {
    const init = await legacyInitialize(server.url, { origin: PAGE });
    expect(init.status).toBe(200);
    expect(init.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(init.headers.get("access-control-expose-headers")).toBe(
      "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate",
    );
    const stream = await fetch(server.url, {
      headers: { ...sessionHeaders(init), origin: PAGE, accept: "text/event-stream" },
    });
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(stream.headers.get("access-control-allow-origin")).toBe(PAGE);
    await stream.body?.cancel();
    const modern = await modernPost(server.url, modernBody("tools/list"), { origin: PAGE });
    expect(modern.headers.get("access-control-allow-origin")).toBe(PAGE);
  });

  test("no Origin (not a browser): no CORS headers", async () => {
    const res = await modernPost(server.url, modernBody("tools/list"));
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("an origin the Origin check refuses: 403 to the preflight and to the request, no CORS headers", async () => {
    const preflight = await fetch(server.url, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const res = await modernPost(server.url, modernBody("tools/list"), { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
