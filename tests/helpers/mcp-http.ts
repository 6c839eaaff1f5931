/**
 * MCP over plain fetch, for tests that look at the wire itself (statuses,
 * headers, bodies) rather than through an SDK client: request builders for
 * both eras, an SSE reader, and a legacy session opener.
 */
import { expect } from "vitest";
import type { Json, RpcBody } from "../../packages/oauth/test/helpers/mcp-requests.js";

export const VERSION = "2026-07-28";
export const LEGACY = "2025-11-25";
export const ACCEPT_BOTH = "application/json, text/event-stream";

export type { Json, RpcBody };

let nextId = 0;

export const META = (extra: Json = {}, caps: Json = {}) => ({
  "io.modelcontextprotocol/protocolVersion": VERSION,
  "io.modelcontextprotocol/clientInfo": { name: "http-modern-test", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": caps,
  ...extra,
});

/** A modern request body: `_meta` built in unless `params._meta` is given. */
export function modernBody(method: string, params: Json = {}, id: string | number = ++nextId) {
  return { jsonrpc: "2.0", id, method, params: { _meta: META(), ...params } };
}

/** The headers a conforming client sends for `body`. */
export function headersFor(body: { method: string; params?: Json }): Record<string, string> {
  const h: Record<string, string> = {
    "content-type": "application/json",
    accept: ACCEPT_BOTH,
    "mcp-protocol-version": VERSION,
    "mcp-method": body.method,
  };
  const p = body.params ?? {};
  const name = ["tools/call", "prompts/get"].includes(body.method)
    ? p.name
    : body.method === "resources/read"
      ? p.uri
      : undefined;
  if (typeof name === "string") h["mcp-name"] = name;
  return h;
}

export function post(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, { method: "POST", headers, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
}

/** POSTs a modern request with the right headers, overridden by `override` (undefined deletes one). */
export function modernPost(
  url: string,
  body: { method: string; params?: Json },
  override: Record<string, string | undefined> = {},
  signal?: AbortSignal,
) {
  const headers = headersFor(body);
  for (const [k, v] of Object.entries(override)) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  return post(url, body, headers, signal);
}

export async function jsonOf(res: Response, status: number): Promise<RpcBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as RpcBody;
}

/** Reads an SSE response one JSON-RPC message at a time (comments and empty events skipped). */
export class SseReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Every event block, raw. */
  readonly blocks: string[] = [];

  constructor(res: Response) {
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    if (!res.body) throw new Error("no body");
    this.reader = res.body.getReader();
  }

  /** The next message, or undefined when the stream has ended. */
  async next(): Promise<Json | undefined> {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        this.blocks.push(block);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (data === "") continue;
        return JSON.parse(data) as Json;
      }
      const { value, done } = await this.reader.read();
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Lets go of the stream: the client disconnects. */
  async cancel(): Promise<void> {
    await this.reader.cancel();
  }

  /** Every remaining message until the stream ends. */
  async rest(): Promise<Json[]> {
    const out: Json[] = [];
    for (let m = await this.next(); m !== undefined; m = await this.next()) out.push(m);
    return out;
  }
}

/** POSTs a legacy `initialize` asking for protocol `version`, with `headers` besides the usual two. */
export function legacyInitialize(
  url: string,
  headers: Record<string, string> = {},
  version: string = LEGACY,
): Promise<Response> {
  const params = { protocolVersion: version, capabilities: {}, clientInfo: { name: "legacy-side", version: "1.0.0" } };
  return post(
    url,
    { jsonrpc: "2.0", id: 0, method: "initialize", params },
    { "content-type": "application/json", accept: ACCEPT_BOTH, ...headers },
  );
}

/** The headers of a POST in the session that `init` (an `initialize` answer) opened; `version` undefined sends none. */
export function sessionHeaders(init: Response, version: string | undefined = LEGACY): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: ACCEPT_BOTH,
    "mcp-session-id": init.headers.get("mcp-session-id") as string,
    ...(version === undefined ? {} : { "mcp-protocol-version": version }),
  };
}

/** Opens a legacy session (initialize + initialized); returns the headers to use with it. */
export async function openLegacySession(url: string): Promise<Record<string, string>> {
  const init = await legacyInitialize(url);
  const body = await jsonOf(init, 200);
  expect(body.result?.protocolVersion).toBe(LEGACY);
  expect(init.headers.get("mcp-session-id")).toMatch(/^[0-9a-f]{32}$/);
  const headers = sessionHeaders(init);
  const ready = await post(url, { jsonrpc: "2.0", method: "notifications/initialized" }, headers);
  expect(ready.status).toBe(202);
  return headers;
}
