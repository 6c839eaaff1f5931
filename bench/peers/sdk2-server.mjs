/**
 * The official TypeScript SDK 2.x serving the same `echo` tool as
 * examples/everything: `createMcpHandler` from @modelcontextprotocol/server
 * wrapped once with `toNodeHandler` from @modelcontextprotocol/node, on a
 * plain node:http server — the SDK's documented Node pattern. The handler
 * serves MCP 2026-07-28 (modern, stateless: each request carries its
 * protocol version, client info and capabilities in `params._meta`) and, by
 * its default `legacy: 'stateless'`, 2025-era requests without a session.
 *
 * The handler calls the factory once per HTTP request (a fresh McpServer
 * each time): that is the SDK's design, not a choice of this peer. The tool's
 * schema and callback are built once, outside the factory, so that only the
 * SDK's own per-request work is measured. Response mode is the default
 * (`auto`: one JSON body, as the echo tool emits nothing before its result).
 *
 * Listens on 127.0.0.1:<port> (the first argument), path /mcp.
 */
import { createServer } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

const port = Number(process.argv[2] ?? 8003);

const echoConfig = {
  description: "Returns the text it is given.",
  inputSchema: z.object({ text: z.string().describe("Text to echo") }),
};
const echo = async ({ text }) => ({ content: [{ type: "text", text }] });

const handler = createMcpHandler(
  () => {
    const server = new McpServer({ name: "sdk2-bench-peer", version: "0.0.0" });
    server.registerTool("echo", echoConfig, echo);
    return server;
  },
  { onerror: (err) => console.error(err) },
);
const serve = toNodeHandler(handler, { onerror: (err) => console.error(err) });

const http = createServer((req, res) => {
  if (new URL(req.url ?? "/", "http://127.0.0.1").pathname !== "/mcp") {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "Not found" } }));
    return;
  }
  serve(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: "Internal error" } }));
    }
  });
});

http.listen(port, "127.0.0.1", () => console.error(`sdk2 peer listening on http://127.0.0.1:${port}/mcp`));

// Exit (not just close) so `--cpu-prof` writes its profile.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
