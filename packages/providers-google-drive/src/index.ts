/** @chuk-mcp/providers-google-drive — the public API (being written). */
export {};
