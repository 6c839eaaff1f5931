/**
 * The few Drive API v3 calls the ready tools make, with the user's Google
 * access token: list files, read a file as text (download, or export for
 * Google Docs, Sheets and Slides), create a text file (multipart upload).
 * Every failure is a `DriveError` whose message is fit to show the user: the
 * HTTP status and Google's own message, never a token.
 */
import { randomBytes } from "node:crypto";
import type { GoogleDriveEndpoints } from "./google-drive-provider.js";

/** One file in a listing. */
export interface DriveFileSummary {
  id: string;
  name: string;
  mimeType: string;
  /** RFC 3339, e.g. `2025-05-01T10:00:00.000Z`. */
  modifiedTime?: string;
}

/** One page of a listing. */
export interface DriveFileList {
  files: DriveFileSummary[];
  /** Pass it as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}

/** A file read as text. */
export interface DriveTextFile {
  id: string;
  name: string;
  /** The file's own type (`text/plain`, `application/vnd.google-apps.document`, …). */
  mimeType: string;
  /** For Google Docs, Sheets and Slides: the type they were exported as (`text/plain`, `text/csv`). */
  exportedAs?: string;
  /** Bytes of UTF-8 read. */
  size: number;
  content: string;
}

/** A file just created. */
export interface DriveCreatedFile {
  id: string;
  name: string;
  mimeType: string;
  /** Opens the file in Drive (for the signed-in user). */
  webViewLink?: string;
}

/** What went wrong, for callers that react differently (a 401 means: sign in again). */
export type DriveErrorKind =
  /** Google refused the access token (HTTP 401): expired or revoked; the user must authorize again. */
  | "unauthorized"
  /** Google answered with another error status. */
  | "api_error"
  /** The file cannot be read as text: binary, too large, or a Drive item without content (folder, form, …). */
  | "unreadable"
  /** The request was refused before sending (content too large for a multipart upload). */
  | "invalid_request"
  /** Google could not be reached, timed out, or answered something that is not the Drive API. */
  | "unavailable";

/** A Drive call failed; `message` says why in words fit for the user, and never holds a token. */
export class DriveError extends Error {
  readonly kind: DriveErrorKind;
  /** Google's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** Google's first error `reason` (`notFound`, `insufficientPermissions`, …), when it gave one. */
  readonly reason: string | undefined;
  constructor(kind: DriveErrorKind, message: string, details: { status?: number; reason?: string } = {}) {
    super(message);
    this.name = "DriveError";
    this.kind = kind;
    this.status = details.status;
    this.reason = details.reason;
  }
}

/** Options of `GoogleDriveClient`. */
export interface GoogleDriveClientOptions {
  /** The most bytes `readTextFile` returns; larger files are refused. Default 1 MiB. */
  maxReadBytes?: number;
  /** Milliseconds to wait for each Drive request. Default 30 000. */
  timeoutMs?: number;
}

/** Default cap on the text `readTextFile` returns: 1 MiB. */
export const DEFAULT_MAX_READ_BYTES = 1024 * 1024;
/** Drive accepts at most 5 MB in a multipart upload (larger needs a resumable upload). */
export const MAX_MULTIPART_UPLOAD_BYTES = 5 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Google Workspace types Drive can export as text, and the type each one is exported as. */
const TEXT_EXPORTS: Readonly<Record<string, string>> = {
  "application/vnd.google-apps.document": "text/plain",
  // Drive exports only the first sheet of a spreadsheet as CSV.
  "application/vnd.google-apps.spreadsheet": "text/csv",
  "application/vnd.google-apps.presentation": "text/plain",
};

/** Stored (blob) types read as text besides `text/*`. */
const TEXT_TYPES = new Set([
  "application/json",
  "application/ld+json",
  "application/xml",
  "application/javascript",
  "application/x-javascript",
  "application/typescript",
  "application/x-yaml",
  "application/yaml",
  "application/x-sh",
  "application/sql",
  "application/x-ndjson",
  "application/csv",
  "application/rtf",
  "image/svg+xml",
]);

const GOOGLE_APPS_PREFIX = "application/vnd.google-apps.";

/** The fields a listing asks for: exactly what the tool returns. */
const LIST_FIELDS = "nextPageToken,files(id,name,mimeType,modifiedTime)";

/** A Drive API client for one user's access token. */
export class GoogleDriveClient {
  readonly #endpoints: GoogleDriveEndpoints;
  readonly #accessToken: string;
  readonly #maxReadBytes: number;
  readonly #timeoutMs: number;

  constructor(endpoints: GoogleDriveEndpoints, accessToken: string, options: GoogleDriveClientOptions = {}) {
    this.#endpoints = endpoints;
    this.#accessToken = accessToken;
    this.#maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * `GET /drive/v3/files`: one page of the files the token can see (with the
   * `drive.file` scope: the files this app created or the user opened with it).
   * `query` is Drive's search syntax (`name contains 'notes'`); trashed files are
   * left out unless `includeTrashed`.
   */
  async listFiles(
    options: { query?: string; pageSize?: number; pageToken?: string; includeTrashed?: boolean } = {},
  ): Promise<DriveFileList> {
    const url = new URL(`${this.#endpoints.api}/files`);
    const query = options.query?.trim();
    const q = options.includeTrashed ? query : query ? `(${query}) and trashed = false` : "trashed = false";
    if (q) url.searchParams.set("q", q);
    if (options.pageSize !== undefined) url.searchParams.set("pageSize", String(options.pageSize));
    if (options.pageToken) url.searchParams.set("pageToken", options.pageToken);
    // Newest first; Drive refuses a sort order on full-text searches (those come sorted by relevance).
    if (!/\bfullText\b/.test(q ?? "")) url.searchParams.set("orderBy", "modifiedTime desc");
    url.searchParams.set("fields", LIST_FIELDS);
    const body = await this.#json(await this.#request(url, { method: "GET" }, "list files"), "list files");
    const files = Array.isArray(body.files) ? body.files : [];
    const list: DriveFileList = {
      files: files.filter(isObject).map((file) => {
        const summary: DriveFileSummary = {
          id: String(file.id ?? ""),
          name: String(file.name ?? ""),
          mimeType: String(file.mimeType ?? ""),
        };
        if (typeof file.modifiedTime === "string") summary.modifiedTime = file.modifiedTime;
        return summary;
      }),
    };
    if (typeof body.nextPageToken === "string" && body.nextPageToken !== "") list.nextPageToken = body.nextPageToken;
    return list;
  }

  /**
   * A file's content as text: `GET /drive/v3/files/{id}` for its type and size,
   * then the content itself — `?alt=media` for stored text files,
   * `/export?mimeType=…` for Google Docs (text/plain), Sheets (text/csv, first
   * sheet) and Slides (text/plain). Binary files, Drive items without content
   * (folders, forms, shortcuts, …), text that is not UTF-8 and anything larger
   * than `maxReadBytes` are refused with a `DriveError("unreadable")`.
   */
  async readTextFile(fileId: string): Promise<DriveTextFile> {
    const id = encodeURIComponent(fileId);
    const metaUrl = new URL(`${this.#endpoints.api}/files/${id}`);
    metaUrl.searchParams.set("fields", "id,name,mimeType,size");
    const meta = await this.#json(await this.#request(metaUrl, { method: "GET" }, "read file metadata"), "read file");
    const name = String(meta.name ?? "");
    const mimeType = String(meta.mimeType ?? "");
    const label = `"${name}" (${mimeType || "no type"})`;

    const exportAs = TEXT_EXPORTS[mimeType];
    let contentUrl: URL;
    if (exportAs !== undefined) {
      contentUrl = new URL(`${this.#endpoints.api}/files/${id}/export`);
      contentUrl.searchParams.set("mimeType", exportAs);
    } else if (mimeType.startsWith(GOOGLE_APPS_PREFIX)) {
      throw new DriveError(
        "unreadable",
        `${label} is a Google Drive item with no text to read; only Google Docs, Sheets and Slides can be exported as text`,
      );
    } else if (!isTextType(mimeType)) {
      throw new DriveError(
        "unreadable",
        `${label} is a binary file; only text files and Google Docs, Sheets and Slides can be read`,
      );
    } else {
      // Drive sends int64 values as JSON strings.
      const size = Number(meta.size);
      if (Number.isFinite(size) && size > this.#maxReadBytes) {
        throw new DriveError(
          "unreadable",
          `${label} is ${size} bytes, more than the ${this.#maxReadBytes} this tool reads`,
        );
      }
      contentUrl = new URL(`${this.#endpoints.api}/files/${id}`);
      contentUrl.searchParams.set("alt", "media");
    }

    const response = await this.#request(contentUrl, { method: "GET" }, exportAs ? "export file" : "download file");
    const bytes = await readCapped(response, this.#maxReadBytes);
    if (bytes === undefined) {
      throw new DriveError(
        "unreadable",
        `${label} is larger than the ${this.#maxReadBytes} bytes this tool reads${exportAs ? ` (exported as ${exportAs})` : ""}`,
      );
    }
    let content: string;
    try {
      content = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new DriveError("unreadable", `${label} is not UTF-8 text`);
    }
    const file: DriveTextFile = { id: String(meta.id ?? fileId), name, mimeType, size: bytes.byteLength, content };
    if (exportAs !== undefined) file.exportedAs = exportAs;
    return file;
  }

  /**
   * `POST /upload/drive/v3/files?uploadType=multipart`: a new file with
   * `content`, in one request whose `multipart/related` body holds the JSON
   * metadata (name, type, parent folder) and then the content.
   */
  async createTextFile(options: {
    name: string;
    content: string;
    mimeType?: string;
    folderId?: string;
  }): Promise<DriveCreatedFile> {
    const mimeType = options.mimeType ?? "text/plain";
    const content = Buffer.from(options.content, "utf8");
    if (content.byteLength > MAX_MULTIPART_UPLOAD_BYTES) {
      throw new DriveError(
        "invalid_request",
        `The content is ${content.byteLength} bytes; Drive takes at most ${MAX_MULTIPART_UPLOAD_BYTES} in one upload`,
      );
    }
    const metadata: Record<string, unknown> = { name: options.name, mimeType };
    if (options.folderId) metadata.parents = [options.folderId];
    const boundary = boundaryFor([content, Buffer.from(JSON.stringify(metadata), "utf8")]);
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(metadata)}\r\n` +
          `--${boundary}\r\nContent-Type: ${mimeType}; charset=UTF-8\r\n\r\n`,
        "utf8",
      ),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`, "utf8"),
    ]);
    const url = new URL(`${this.#endpoints.upload}/files`);
    url.searchParams.set("uploadType", "multipart");
    url.searchParams.set("fields", "id,name,mimeType,webViewLink");
    const response = await this.#request(
      url,
      { method: "POST", headers: { "content-type": `multipart/related; boundary=${boundary}` }, body },
      "create file",
    );
    const created = await this.#json(response, "create file");
    const file: DriveCreatedFile = {
      id: String(created.id ?? ""),
      name: String(created.name ?? options.name),
      mimeType: String(created.mimeType ?? mimeType),
    };
    if (typeof created.webViewLink === "string") file.webViewLink = created.webViewLink;
    return file;
  }

  /** One Drive request with the user's token; anything but a 2xx becomes a `DriveError`. */
  async #request(
    url: URL,
    init: { method: string; headers?: Record<string, string>; body?: Buffer },
    step: string,
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method,
        headers: { authorization: `Bearer ${this.#accessToken}`, accept: "application/json", ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
        redirect: "manual",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new DriveError("unavailable", `Google Drive could not be reached (${step}): ${networkReason(err)}`);
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw await driveErrorOf(response, step);
  }

  /** The JSON object of a successful Drive answer. */
  async #json(response: Response, step: string): Promise<Record<string, unknown>> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (!isObject(body)) {
      throw new DriveError("unavailable", `Google Drive answered ${step} with something that is not a JSON object`, {
        status: response.status,
      });
    }
    return body;
  }
}

/**
 * A `DriveError` from Google's error answer:
 * `{ "error": { "code", "message", "status", "errors": [{ "reason", … }] } }`.
 */
async function driveErrorOf(response: Response, step: string): Promise<DriveError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = isObject(body) && isObject(body.error) ? body.error : undefined;
  const message = typeof error?.message === "string" ? printable(error.message, 300) : undefined;
  const status = typeof error?.status === "string" ? printable(error.status, 40) : undefined;
  const first = Array.isArray(error?.errors) ? error.errors.find(isObject) : undefined;
  const reason = typeof first?.reason === "string" ? printable(first.reason, 60) : undefined;
  const code = [status, reason].filter(Boolean).join(", ");
  const said = `HTTP ${response.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`;
  const details = { status: response.status, ...(reason === undefined ? {} : { reason }) };
  if (response.status === 401) {
    return new DriveError(
      "unauthorized",
      `Google refused the access token (${said}). The Google authorization has expired or was revoked: ` +
        "sign in again to re-authorize this client.",
      details,
    );
  }
  if (response.status === 403 && (reason === "insufficientPermissions" || status === "PERMISSION_DENIED")) {
    return new DriveError(
      "api_error",
      `Google Drive refused to ${step} (${said}). The Google grant may lack Drive access: sign in again and allow it.`,
      details,
    );
  }
  if (message === undefined && error === undefined) {
    return new DriveError("api_error", `Google Drive refused to ${step} (HTTP ${response.status})`, details);
  }
  return new DriveError("api_error", `Google Drive refused to ${step} (${said})`, details);
}

/** The response body, or `undefined` as soon as it grows past `max` bytes (the rest is not downloaded). */
async function readCapped(response: Response, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** A multipart boundary that occurs in none of `parts`. */
function boundaryFor(parts: Buffer[]): string {
  for (;;) {
    const boundary = `chuk_mcp_${randomBytes(16).toString("hex")}`;
    if (!parts.some((part) => part.includes(boundary))) return boundary;
  }
}

function isTextType(mimeType: string): boolean {
  const type = mimeType.split(";")[0]?.trim().toLowerCase() ?? "";
  return type.startsWith("text/") || TEXT_TYPES.has(type) || type.endsWith("+json") || type.endsWith("+xml");
}

function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timed out";
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === "string" ? `network error (${cause.code})` : "network error";
}

/** An upstream-supplied string made safe to show: control characters blanked, bounded. */
const printable = (value: string, max: number): string =>
  Array.from(value, (c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? " " : c))
    .join("")
    .trim()
    .slice(0, max);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
