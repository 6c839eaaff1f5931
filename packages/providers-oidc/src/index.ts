/** @chuk-mcp/providers-oidc — the public API (being written). */
export {};
