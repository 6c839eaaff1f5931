/**
 * The ready Drive tools: `drive_list_files`, `drive_read_file` and
 * `drive_create_text_file`, each protected by an MCP scope and calling the
 * Drive API as the signed-in user with `ctx.auth.externalAccessToken`.
 * Failures come back as tool errors (`isError`) naming Google's status and
 * message; a refused token says to sign in again.
 */
import { type CallToolResult, type ChukMCPServer, requiresAuth } from "@chuk-mcp/server";
import { z } from "zod";
import {
  DEFAULT_MAX_READ_BYTES,
  DriveError,
  GoogleDriveClient,
  type GoogleDriveClientOptions,
  MAX_MULTIPART_UPLOAD_BYTES,
} from "./drive-api.js";
import { type GoogleDriveEndpoints, googleDriveEndpoints } from "./google-drive-provider.js";

/** MCP scope of the tools that read Drive (`drive_list_files`, `drive_read_file`). */
export const DRIVE_READ_SCOPE = "drive.read";
/** MCP scope of the tool that writes to Drive (`drive_create_text_file`). */
export const DRIVE_WRITE_SCOPE = "drive.write";

/** The names of the ready tools. */
export const GOOGLE_DRIVE_TOOL_NAMES = Object.freeze({
  listFiles: "drive_list_files",
  readFile: "drive_read_file",
  createTextFile: "drive_create_text_file",
} as const);

/** Options of `registerGoogleDriveTools`. */
export interface GoogleDriveToolsOptions {
  /**
   * Where the Drive API is. Default: what `setupGoogleDriveOAuth(mcp)` was told
   * (`GOOGLE_UPSTREAM_URL` / `upstreamUrl`), else Google's own. Set it when you
   * build `GoogleDriveOAuthProvider` yourself with an `upstreamUrl`
   * (`provider.driveEndpoints`).
   */
  endpoints?: GoogleDriveEndpoints;
  /** The most bytes `drive_read_file` returns; larger files are refused. Default 1 MiB. */
  maxReadBytes?: number;
  /** Milliseconds to wait for each Drive request. Default 30 000. */
  timeoutMs?: number;
}

/** Drive API endpoints each server's setup chose (a stand-in, or Google's). */
const endpointsByServer = new WeakMap<ChukMCPServer, GoogleDriveEndpoints>();

/** @internal Called by `setupGoogleDriveOAuth(mcp)`: the Drive tools of `mcp` use `endpoints`. */
export function useDriveEndpoints(mcp: ChukMCPServer, endpoints: GoogleDriveEndpoints): void {
  endpointsByServer.set(mcp, endpoints);
}

/** Drive file and folder ids: letters, digits, `-` and `_` (and nothing that could change the URL path). */
const fileId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, { error: "must be a Drive file id (letters, digits, - and _)" });

/** Text types `drive_create_text_file` writes. */
const TEXT_MIME_TYPES = ["text/plain", "text/markdown", "text/csv", "text/html", "application/json"] as const;

/**
 * Registers the ready Drive tools on `mcp`:
 *
 * | tool | scope | what |
 * | --- | --- | --- |
 * | `drive_list_files` | `drive.read` | one page of files (`query` in Drive's search syntax) |
 * | `drive_read_file` | `drive.read` | a text file, or a Google Doc / Sheet / Slides exported as text |
 * | `drive_create_text_file` | `drive.write` | a new text file; returns its id and link |
 *
 * Call it with the server `setupGoogleDriveOAuth` protects, before or after it.
 */
export function registerGoogleDriveTools(mcp: ChukMCPServer, options: GoogleDriveToolsOptions = {}): ChukMCPServer {
  const clientOptions: GoogleDriveClientOptions = {
    maxReadBytes: options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  // Resolved per call: setup may come after registration, as in the one-liner.
  const driveFor = (accessToken: string) =>
    new GoogleDriveClient(
      options.endpoints ?? endpointsByServer.get(mcp) ?? googleDriveEndpoints(),
      accessToken,
      clientOptions,
    );

  mcp.tool(
    GOOGLE_DRIVE_TOOL_NAMES.listFiles,
    {
      title: "List Google Drive files",
      description:
        "Lists files in the user's Google Drive (with the default drive.file access: the files this app created " +
        "or the user opened with it), newest first as Drive orders them. Returns id, name, mimeType and " +
        "modifiedTime, and nextPageToken when there are more.",
      input: {
        query: z
          .string()
          .max(2000)
          .optional()
          .describe("Drive search query, e.g. name contains 'notes' and mimeType = 'text/plain'"),
        pageSize: z.number().int().min(1).max(100).default(25).describe("Files per page (1-100)"),
        pageToken: z.string().max(2000).optional().describe("nextPageToken of the previous page"),
        includeTrashed: z.boolean().default(false).describe("Include files in the trash"),
      },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    requiresAuth({ scopes: [DRIVE_READ_SCOPE] }, async (args, ctx) =>
      withDrive(ctx.auth.externalAccessToken, async (token) => {
        const list = await driveFor(token).listFiles({
          pageSize: args.pageSize,
          includeTrashed: args.includeTrashed,
          ...(args.query === undefined ? {} : { query: args.query }),
          ...(args.pageToken === undefined ? {} : { pageToken: args.pageToken }),
        });
        return { ...list };
      }),
    ),
  );

  mcp.tool(
    GOOGLE_DRIVE_TOOL_NAMES.readFile,
    {
      title: "Read a Google Drive file",
      description:
        "Reads a file from the user's Google Drive as text: text files (plain, Markdown, CSV, JSON, …) as " +
        "stored, Google Docs and Slides exported as plain text, Google Sheets as CSV (first sheet). Binary " +
        `files are refused, and so is anything over ${clientOptions.maxReadBytes} bytes.`,
      input: { fileId: fileId.describe("The file's id (from drive_list_files)") },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    requiresAuth({ scopes: [DRIVE_READ_SCOPE] }, async (args, ctx) =>
      withDrive(ctx.auth.externalAccessToken, async (token) => ({
        ...(await driveFor(token).readTextFile(args.fileId)),
      })),
    ),
  );

  mcp.tool(
    GOOGLE_DRIVE_TOOL_NAMES.createTextFile,
    {
      title: "Create a Google Drive text file",
      description:
        "Creates a text file in the user's Google Drive and returns its id, name and webViewLink. " +
        `At most ${MAX_MULTIPART_UPLOAD_BYTES} bytes of content.`,
      input: {
        name: z.string().min(1).max(1000).describe("File name, e.g. notes.txt"),
        content: z.string().describe("The file's text (UTF-8)"),
        mimeType: z.enum(TEXT_MIME_TYPES).default("text/plain").describe("The file's type"),
        folderId: fileId.optional().describe("Id of the Drive folder to create it in (default: My Drive)"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    requiresAuth({ scopes: [DRIVE_WRITE_SCOPE] }, async (args, ctx) =>
      withDrive(ctx.auth.externalAccessToken, async (token) => ({
        ...(await driveFor(token).createTextFile({
          name: args.name,
          content: args.content,
          mimeType: args.mimeType,
          ...(args.folderId === undefined ? {} : { folderId: args.folderId }),
        })),
      })),
    ),
  );
  return mcp;
}

/** Runs `call` with the user's Google token; a `DriveError` becomes a tool error with its message. */
async function withDrive(
  accessToken: string | undefined,
  call: (token: string) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown> | CallToolResult> {
  if (accessToken === undefined || accessToken === "") {
    return toolError("No Google access token for this user: sign in with Google again to re-authorize this client.");
  }
  try {
    return await call(accessToken);
  } catch (err) {
    if (err instanceof DriveError) return toolError(err.message);
    throw err;
  }
}

const toolError = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });
