/**
 * What a scaffolded project depends on besides the chuk-mcp packages: the
 * versions this repository is tested with, each a range that keeps to
 * releases supporting Node 20.
 */
export const SCAFFOLD_DEPENDENCIES = {
  zod: "^4.1.0",
} as const;

export const SCAFFOLD_DEV_DEPENDENCIES = {
  "@modelcontextprotocol/sdk": "^1.32.2",
  "@types/node": "^20.19.43",
  tsx: "^4.20.0",
  typescript: "^5.9.3",
  vitest: "^4.1.12",
} as const;

/** The registry range of the chuk-mcp packages (they are released together, with this CLI's version). */
export const FRAMEWORK_RANGE = "^0.1.0";
