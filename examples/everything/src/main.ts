/**
 * Starts the everything server: HTTP on 127.0.0.1:$PORT (default 8000) at
 * /mcp, or STDIO when MCP_TRANSPORT=stdio. `STATELESS=1` runs HTTP without sessions.
 */
import { createEverythingServer } from "./server.js";

await createEverythingServer().run({ stateless: process.env.STATELESS === "1" });
