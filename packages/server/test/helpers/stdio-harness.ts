/**
 * A STDIO transport over in-memory streams, for unit tests: a server with an
 * `echo` tool, a line reader on its stdout, a writer for its stdin, and a
 * cleanup that ends stdin and waits for the transport to close.
 */
import { PassThrough } from "node:stream";
import { z } from "zod";
import { ChukMCPServer, type ChukMCPServerOptions } from "../../src/server.js";
import { type StdioHandle, serveStdio } from "../../src/transports/stdio.js";
import { type LineReader, lineReader } from "./lines.js";

export interface StdioHarness {
  /** Starts a fresh server (and ends nothing that is already running: call `stop` between tests). */
  start(setup?: (server: ChukMCPServer) => void): {
    out: LineReader;
    server: ChukMCPServer;
    /** The server's stdin, for raw writes and ending it. */
    input: PassThrough;
    handle: StdioHandle;
  };
  /** Writes one line (a value as JSON, a string as is) to the server's stdin. */
  writeLine(value: unknown): void;
  /** Ends stdin and waits for the transport to close. */
  stop(): Promise<void>;
}

export function stdioHarness(name: string, options: ChukMCPServerOptions = {}): StdioHarness {
  let handle: StdioHandle | undefined;
  let input: PassThrough | undefined;
  return {
    start(setup) {
      const server = new ChukMCPServer(name, { logLevel: "silent", ...options });
      server.tool("echo", { input: { text: z.string() } }, ({ text }) => text);
      setup?.(server);
      input = new PassThrough();
      const output = new PassThrough();
      const out = lineReader(output);
      const started = serveStdio(server, { input, output, shutdownGraceMs: 5_000 });
      handle = started;
      return { out, server, input, handle: started };
    },
    writeLine(value) {
      input?.write(`${typeof value === "string" ? value : JSON.stringify(value)}\n`);
    },
    async stop() {
      input?.end();
      await handle?.closed;
      handle = undefined;
    },
  };
}
