/** @chuk-mcp/providers-linkedin — the public API (being written). */
export {};
