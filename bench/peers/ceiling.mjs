/**
 * The ceiling: a bare fastify route on POST /mcp that parses the body (the
 * default JSON parser) and answers the echo call's result, fixed, with the
 * request's id. No MCP processing at all: what any MCP server on fastify
 * pays for HTTP + JSON alone. Listens on 127.0.0.1:<port> (the first argument).
 */
import { fastify } from "fastify";

const port = Number(process.argv[2] ?? 8002);
// CEILING_MODERN=1: the 2026-07-28 answer (resultType and the server's
// identity in _meta), so a modern target is compared with the same wire bytes.
const RESULT =
  process.env.CEILING_MODERN === "1"
    ? Object.freeze({
        content: [{ type: "text", text: "hello" }],
        resultType: "complete",
        _meta: {
          "io.modelcontextprotocol/serverInfo": { name: "chuk-everything", version: "0.1.0", title: "Everything" },
        },
      })
    : Object.freeze({ content: [{ type: "text", text: "hello" }] });

const app = fastify({ logger: false });
app.post("/mcp", async (req) => ({ jsonrpc: "2.0", id: req.body?.id ?? null, result: RESULT }));

await app.listen({ host: "127.0.0.1", port });
console.error(`ceiling peer listening on http://127.0.0.1:${port}/mcp`);

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
