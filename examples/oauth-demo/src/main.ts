/**
 * Starts the OAuth demo (what the root `npm start` runs): MCP at
 * http://localhost:$PORT/mcp (default 8000), bound to $HOST (default
 * 127.0.0.1), with the development login provider. See ./server.ts.
 */
import { createOAuthDemo } from "./server.js";

await createOAuthDemo().run();
