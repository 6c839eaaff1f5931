/**
 * `chuk-mcp inspect <url|command>`: connects to any MCP server with the
 * official SDK client — Streamable HTTP for a URL, STDIO for a command (run
 * with MCP_TRANSPORT=stdio, which every chuk-mcp server reads) — lists its
 * tools, resources, resource templates and prompts, and optionally calls a
 * tool, reads a resource or gets a prompt.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { CliError } from "../errors.js";
import type { Output } from "../output.js";
import { splitCommandLine } from "./command-line.js";
import {
  printPromptResult,
  printResourceContents,
  printSection,
  printToolResult,
  promptRows,
  resourceRows,
  templateRows,
  toolRows,
} from "./format.js";

export interface InspectOptions {
  /** A tool to call. */
  call?: string;
  /** A resource URI to read. */
  read?: string;
  /** A prompt to get. */
  prompt?: string;
  /** JSON object: the tool's or prompt's arguments. */
  args?: string;
  /** `Name: value` headers for HTTP (e.g. `Authorization: Bearer …`). */
  header?: string[];
  /** Print one JSON document instead of the listing. */
  json?: boolean;
  /** `false`: skip the lists (only the call, read or prompt). */
  list?: boolean;
  /** Milliseconds to wait for each answer (default 30000). */
  timeout?: string;
  cwd?: string;
}

type Json = Record<string, unknown>;

interface Target {
  describe: string;
  transport: Transport;
  /** What went wrong, in the server's own words (its stderr), or the last HTTP challenge. */
  diagnostics(): string;
  url?: URL;
}

export function parseArgs(text: string | undefined): Json {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--args: not JSON (${(err as Error).message})`, `e.g. --args '{"text": "hello"}'`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError("--args: must be a JSON object", `e.g. --args '{"text": "hello"}'`);
  }
  return value as Json;
}

export function parseHeaders(headers: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of headers) {
    const colon = header.indexOf(":");
    if (colon <= 0) throw new CliError(`--header: "${header}" is not "Name: value"`);
    out[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return out;
}

function openTarget(words: readonly string[], options: InspectOptions): Target {
  const first = words[0];
  if (first === undefined)
    throw new CliError("inspect: give a URL or a command", "e.g. chuk-mcp inspect http://127.0.0.1:8000/mcp");
  if (words.length === 1 && /^https?:\/\//i.test(first)) {
    let url: URL;
    try {
      url = new URL(first);
    } catch {
      throw new CliError(`not a URL: ${first}`);
    }
    let challenge: string | null = null;
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: parseHeaders(options.header) },
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 401 || response.status === 403) challenge = response.headers.get("www-authenticate");
        return response;
      },
    });
    return {
      describe: `Streamable HTTP at ${url.href}`,
      transport,
      url,
      diagnostics: () => (challenge ? `WWW-Authenticate: ${challenge}` : ""),
    };
  }
  if (options.header?.length) throw new CliError("--header applies to a URL, not to a command");
  let command = [...words];
  if (command.length === 1 && /\s/.test(first)) {
    try {
      command = splitCommandLine(first);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  }
  const [executable, ...args] = command as [string, ...string[]];
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.MCP_TRANSPORT = "stdio";
  const transport = new StdioClientTransport({
    command: executable,
    args,
    env,
    cwd: options.cwd ?? process.cwd(),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer | string) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  return {
    describe: `STDIO: ${command.join(" ")}`,
    transport,
    diagnostics: () => stderr.trim().split("\n").slice(-15).join("\n"),
  };
}

/** What a failure means for the person at the terminal. */
function explain(err: unknown, target: Target, doing: string, tools?: readonly Json[]): CliError {
  if (err instanceof CliError) return err;
  const diagnostics = target.diagnostics();
  const withDiagnostics = (text: string) => (diagnostics ? `${text}\n${diagnostics}` : text);
  const message = err instanceof Error ? err.message : String(err);
  const status = err instanceof StreamableHTTPError ? err.code : undefined;
  if (status === 401 || /unauthorized/i.test(message)) {
    return new CliError(
      withDiagnostics(`${doing}: the server needs a login (HTTP 401)`),
      "inspect does not log in: pass a token with --header 'Authorization: Bearer <token>', or use a client that runs the OAuth login (npx @modelcontextprotocol/inspector)",
    );
  }
  if (status === 403) {
    return new CliError(withDiagnostics(`${doing}: the token lacks a scope (HTTP 403)`));
  }
  const code = (err as { cause?: { code?: string }; code?: unknown }).cause?.code ?? (err as { code?: unknown }).code;
  if (target.url && (code === "ECONNREFUSED" || /fetch failed/.test(message))) {
    return new CliError(
      `${doing}: cannot reach ${target.url.href} (${code ?? message})`,
      "is the server running? Start it with `chuk-mcp run --http` (or `npm run dev`)",
    );
  }
  if (code === "ENOENT" && !target.url) {
    return new CliError(`${doing}: cannot start ${target.describe.replace("STDIO: ", "")}: command not found`);
  }
  if (err instanceof McpError && err.code === -32000) {
    return new CliError(withDiagnostics(`${doing}: the server closed the connection`));
  }
  if (err instanceof McpError) {
    const unknownTool = tools && /unknown tool/i.test(err.message);
    return new CliError(
      `${doing}: ${err.message}`,
      unknownTool ? `its tools: ${tools.map((t) => t.name).join(", ") || "none"}` : undefined,
    );
  }
  return new CliError(withDiagnostics(`${doing}: ${message}`));
}

async function listAll<T>(
  fetchPage: (cursor?: string) => Promise<{ nextCursor?: string } & Record<string, unknown>>,
  key: string,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await fetchPage(cursor);
    items.push(...((result[key] ?? []) as T[]));
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return items;
}

/** Runs the inspection; resolves with the exit code (1 when a called tool answered with an error). */
export async function inspect(words: readonly string[], options: InspectOptions, out: Output): Promise<number> {
  const args = parseArgs(options.args);
  const timeout = options.timeout === undefined ? 30_000 : Number(options.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new CliError(`--timeout: "${options.timeout}" is not a number of milliseconds`);
  if (options.args !== undefined && !options.call && !options.prompt) {
    throw new CliError("--args goes with --call <tool> or --prompt <name>");
  }
  const target = openTarget(words, options);
  const client = new Client({ name: "chuk-mcp-inspect", version: "0.1.0" });
  const request = { timeout };
  let stage = `connecting over ${target.describe}`;
  const report: Json = {};
  let exitCode = 0;
  try {
    await client.connect(target.transport, request);
    const info = client.getServerVersion();
    const capabilities = client.getServerCapabilities() ?? {};
    report.server = { ...info, instructions: client.getInstructions() };
    report.capabilities = capabilities;
    if (!options.json) {
      out.line(
        `${out.bold(`${info?.name ?? "?"} ${info?.version ?? ""}`.trim())}${info?.title ? ` — ${info.title}` : ""}`,
      );
      out.line(out.dim(`  over ${target.describe}`));
      const instructions = client.getInstructions();
      if (instructions) out.line(out.dim(`  ${instructions.split("\n").join("\n  ")}`));
    }

    if (options.list !== false) {
      if (capabilities.tools) {
        stage = "tools/list";
        report.tools = await listAll<Json>((cursor) => client.listTools({ cursor }, request), "tools");
        if (!options.json) printSection(out, "Tools", toolRows(report.tools as Json[]));
      }
      if (capabilities.resources) {
        stage = "resources/list";
        report.resources = await listAll<Json>((cursor) => client.listResources({ cursor }, request), "resources");
        stage = "resources/templates/list";
        report.resourceTemplates = await listAll<Json>(
          (cursor) => client.listResourceTemplates({ cursor }, request),
          "resourceTemplates",
        );
        if (!options.json) {
          printSection(out, "Resources", resourceRows(report.resources as Json[]));
          printSection(out, "Resource templates", templateRows(report.resourceTemplates as Json[]));
        }
      }
      if (capabilities.prompts) {
        stage = "prompts/list";
        report.prompts = await listAll<Json>((cursor) => client.listPrompts({ cursor }, request), "prompts");
        if (!options.json) printSection(out, "Prompts", promptRows(report.prompts as Json[]));
      }
    }

    if (options.call) {
      stage = `tools/call ${options.call}`;
      if (!options.json) {
        out.line();
        out.line(out.bold(`Call ${options.call} ${JSON.stringify(args)}`));
      }
      const result = (await client.callTool({ name: options.call, arguments: args }, undefined, request)) as Json;
      report.call = result;
      if (!options.json) printToolResult(out, result);
      if (result.isError) exitCode = 1;
    }
    if (options.read) {
      stage = `resources/read ${options.read}`;
      const result = (await client.readResource({ uri: options.read }, request)) as Json;
      report.read = result;
      if (!options.json) {
        out.line();
        out.line(out.bold(`Read ${options.read}`));
        printResourceContents(out, result);
      }
    }
    if (options.prompt) {
      stage = `prompts/get ${options.prompt}`;
      const stringArgs = Object.fromEntries(
        Object.entries(args).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      );
      const result = (await client.getPrompt({ name: options.prompt, arguments: stringArgs }, request)) as Json;
      report.prompt = result;
      if (!options.json) {
        out.line();
        out.line(out.bold(`Prompt ${options.prompt}`));
        printPromptResult(out, result);
      }
    }
    if (options.json) out.line(JSON.stringify(report, null, 2));
    return exitCode;
  } catch (err) {
    throw explain(err, target, stage, report.tools as Json[] | undefined);
  } finally {
    await client.close().catch(() => undefined);
  }
}
