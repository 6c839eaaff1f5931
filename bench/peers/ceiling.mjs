/**
 * The ceiling: a bare fastify route on POST /mcp that parses the body (the
 * default JSON parser) and answers the echo call's result, fixed, with the
 * request's id. No MCP processing at all: what any MCP server on fastify
 * pays for HTTP + JSON alone. Listens on 127.0.0.1:<port> (the first argument).
 */
import { fastify } from "fastify";

const port = Number(process.argv[2] ?? 8002);
const RESULT = Object.freeze({ content: [{ type: "text", text: "hello" }] });

const app = fastify({ logger: false });
app.post("/mcp", async (req) => ({ jsonrpc: "2.0", id: req.body?.id ?? null, result: RESULT }));

await app.listen({ host: "127.0.0.1", port });
console.error(`ceiling peer listening on http://127.0.0.1:${port}/mcp`);

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
