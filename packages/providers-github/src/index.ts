/** @chuk-mcp/providers-github — the public API (being written). */
export {};
