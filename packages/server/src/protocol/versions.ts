/** Protocol revisions this server speaks, and the negotiation rule. */

/** Legacy (initialize-handshake) revisions, newest first. */
export const LEGACY_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26"] as const;
export type LegacyProtocolVersion = (typeof LEGACY_PROTOCOL_VERSIONS)[number];

export const LATEST_LEGACY_VERSION: LegacyProtocolVersion = "2025-11-25";

/** Modern (per-request `_meta`, stateless) revisions, newest first. */
export const MODERN_PROTOCOL_VERSIONS = ["2026-07-28"] as const;
export type ModernProtocolVersion = (typeof MODERN_PROTOCOL_VERSIONS)[number];

/** Every revision we serve, newest first (what `server/discover` and -32022 list). */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  ...MODERN_PROTOCOL_VERSIONS,
  ...LEGACY_PROTOCOL_VERSIONS,
];

export const isModernVersion = (v: unknown): v is ModernProtocolVersion =>
  typeof v === "string" && (MODERN_PROTOCOL_VERSIONS as readonly string[]).includes(v);

/** The revision an HTTP request without `MCP-Protocol-Version` is assumed to speak. */
export const DEFAULT_HTTP_ASSUMED_VERSION: LegacyProtocolVersion = "2025-03-26";

export const isLegacyVersion = (v: unknown): v is LegacyProtocolVersion =>
  typeof v === "string" && (LEGACY_PROTOCOL_VERSIONS as readonly string[]).includes(v);

/**
 * The version to answer `initialize` with: the client's if we speak it,
 * otherwise our latest (the client then decides whether to continue).
 */
export function negotiateLegacyVersion(requested: unknown): LegacyProtocolVersion {
  return isLegacyVersion(requested) ? requested : LATEST_LEGACY_VERSION;
}

/** 2025-11-25 added SSE priming events (an event id with empty data) for resumption. */
export const primesSseStreams = (version: string): boolean => version === "2025-11-25";

/** JSON-RPC batches exist only in 2025-03-26; 2025-06-18 removed them. */
export const allowsBatches = (version: string): boolean => version === "2025-03-26";
