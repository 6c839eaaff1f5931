/**
 * The documented default server behind module-level `tool()`, `resource()`,
 * `prompt()`, `getMcpServer()` and `run()` — the one piece of global state.
 */
import type { PromptArgsShape, PromptHandler, PromptOptions } from "./registry/prompts.js";
import type {
  ResourceOptions,
  ResourceReader,
  ResourceTemplateOptions,
  ResourceTemplateReader,
} from "./registry/resources.js";
import type { InputSpec } from "./registry/schema.js";
import type { ToolHandler, ToolOptions } from "./registry/tools.js";
import type { RunningServer, RunOptions } from "./run.js";
import { ChukMCPServer, type ChukMCPServerOptions } from "./server.js";

let defaultServer: ChukMCPServer | undefined;

/**
 * The default server, created on first use (named after `MCP_SERVER_NAME`, or
 * "chuk-mcp-server"). Pass options on the first call to configure it.
 */
export function getMcpServer(options?: ChukMCPServerOptions & { name?: string }): ChukMCPServer {
  if (!defaultServer) {
    const { name, ...rest } = options ?? {};
    defaultServer = new ChukMCPServer(name ?? process.env.MCP_SERVER_NAME ?? "chuk-mcp-server", rest);
  } else if (options) {
    throw new Error("getMcpServer(options): the default server already exists; pass options on the first call only");
  }
  return defaultServer;
}

/** Registers a tool on the default server. */
export function tool<I extends InputSpec | undefined = undefined, O extends InputSpec | undefined = undefined>(
  name: string,
  options: ToolOptions<I, O>,
  handler: ToolHandler<I, O>,
): ChukMCPServer {
  return getMcpServer().tool(name, options, handler);
}

/** Registers a resource on the default server. */
export function resource(uri: string, options: ResourceOptions, read: ResourceReader): ChukMCPServer {
  return getMcpServer().resource(uri, options, read);
}

/** Registers a resource template on the default server. */
export function resourceTemplate(
  uriTemplate: string,
  options: ResourceTemplateOptions,
  read: ResourceTemplateReader,
): ChukMCPServer {
  return getMcpServer().resourceTemplate(uriTemplate, options, read);
}

/** Registers a prompt on the default server. */
export function prompt<A extends PromptArgsShape | undefined = undefined>(
  name: string,
  options: PromptOptions<A>,
  handler: PromptHandler<A>,
): ChukMCPServer {
  return getMcpServer().prompt(name, options, handler);
}

/** Runs the default server. */
export function run(options?: RunOptions): Promise<RunningServer> {
  return getMcpServer().run(options);
}
