/**
 * The official TypeScript SDK (1.x) serving the same `echo` tool as
 * examples/everything: McpServer + StreamableHTTPServerTransport, stateful
 * (one transport per session, found by its Mcp-Session-Id), JSON responses,
 * on a plain node:http server — the pattern of the SDK's own examples, minus
 * express. Listens on 127.0.0.1:<port> (the first argument), path /mcp.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const port = Number(process.argv[2] ?? 8001);

function createMcpServer() {
  const server = new McpServer({ name: "sdk-bench-peer", version: "0.0.0" });
  server.registerTool(
    "echo",
    { description: "Returns the text it is given.", inputSchema: { text: z.string().describe("Text to echo") } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

/** Open transports by session id. */
const transports = new Map();

const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

const sendError = (res, status, message) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message } }));
};

const http = createServer(async (req, res) => {
  try {
    if (new URL(req.url ?? "/", "http://127.0.0.1").pathname !== "/mcp") return sendError(res, 404, "Not found");
    const sessionId = req.headers["mcp-session-id"];
    if (req.method === "POST") {
      let body;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return sendError(res, 400, "Parse error");
      }
      let transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
      if (!transport) {
        if (sessionId !== undefined || !isInitializeRequest(body)) return sendError(res, 400, "No valid session");
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: true,
          onsessioninitialized: (id) => transports.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) transports.delete(transport.sessionId);
        };
        await createMcpServer().connect(transport);
      }
      await transport.handleRequest(req, res, body);
      return;
    }
    const transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (!transport) return sendError(res, 400, "No valid session");
    await transport.handleRequest(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) sendError(res, 500, "Internal error");
  }
});

http.listen(port, "127.0.0.1", () => console.error(`sdk peer listening on http://127.0.0.1:${port}/mcp`));

// Exit (not just close) so `--cpu-prof` writes its profile.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
