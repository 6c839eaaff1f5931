/** Protocol revisions this server speaks, and the negotiation rule. */

/** Legacy (initialize-handshake) revisions, newest first. */
export const LEGACY_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26"] as const;
export type LegacyProtocolVersion = (typeof LEGACY_PROTOCOL_VERSIONS)[number];

export const LATEST_LEGACY_VERSION: LegacyProtocolVersion = "2025-11-25";

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
