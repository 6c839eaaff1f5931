/**
 * Starts examples/everything (the built one, as users run it) for a test:
 * in this process over HTTP on an ephemeral loopback port, or as a child
 * process over STDIO.
 */
import { join } from "node:path";
import type { ChukMCPServerOptions, RunningServer, RunOptions } from "@chuk-mcp/server";

export const ROOT = join(import.meta.dirname, "..", "..");
export const EVERYTHING_MAIN = join(ROOT, "examples/everything/dist/main.js");

export interface StartedServer {
  url: string;
  running: RunningServer;
  close(): Promise<void>;
}

export async function startEverything(
  runOptions: RunOptions = {},
  serverOptions: ChukMCPServerOptions = {},
): Promise<StartedServer> {
  const { createEverythingServer } = (await import(join(ROOT, "examples/everything/dist/server.js"))) as {
    createEverythingServer: (o?: ChukMCPServerOptions) => import("@chuk-mcp/server").ChukMCPServer;
  };
  const running = await createEverythingServer({ logLevel: "silent", ...serverOptions }).run({
    transport: "http",
    host: "127.0.0.1",
    port: 0,
    handleSignals: false,
    ...runOptions,
  });
  return { url: running.url as string, running, close: () => running.close() };
}
