/** @chuk-mcp/oauth — the public API (being built: storage and tokens first). */
export {};
