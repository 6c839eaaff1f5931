/**
 * The ready Drive tools on a real server protected by `setupGoogleDriveOAuth`,
 * Google being the stand-in: each tool called over MCP with our access token
 * reaches the Drive API with the user's Google token; scopes are enforced;
 * Google's refusals come back as tool errors that say what to do.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type DriveServer, startDriveServer } from "./drive-server.js";
import { type GoogleStandIn, startGoogleStandIn } from "./stand-in.js";

let google: GoogleStandIn;
let mcp: DriveServer;
let token: string;

beforeAll(async () => {
  google = await startGoogleStandIn();
  mcp = await startDriveServer(google, { tools: { maxReadBytes: 64 } });
  token = await mcp.signIn(["drive.read", "drive.write"]);
});
afterAll(async () => {
  await mcp?.close();
  await google?.close();
});
beforeEach(() => {
  google.files.clear();
  google.requests.length = 0;
});

const textOf = (result: { content: { type: string; text?: string }[] } | undefined) =>
  result?.content.map((c) => c.text ?? "").join("") ?? "";

describe("the tools, signed in with drive.read and drive.write", () => {
  test("tools/list: the three tools, the readers marked read-only", async () => {
    const tools = await mcp.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["drive_create_text_file", "drive_list_files", "drive_read_file"]);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.drive_list_files?.annotations?.readOnlyHint).toBe(true);
    expect(byName.drive_read_file?.annotations?.readOnlyHint).toBe(true);
    expect(byName.drive_create_text_file?.annotations?.readOnlyHint).toBe(false);
    expect(byName.drive_read_file?.inputSchema.required).toEqual(["fileId"]);
  });

  test("drive_list_files reaches Drive with the user's Google token, not ours", async () => {
    const file = google.addFile({
      name: "notes.txt",
      mimeType: "text/plain",
      content: "hi",
      modifiedTime: "2025-02-03T04:05:06.000Z",
    });
    const call = await mcp.callTool(token, "drive_list_files", { query: "name contains 'notes'" });
    expect(call.status).toBe(200);
    expect(call.result?.isError).toBeFalsy();
    expect(call.result?.structuredContent).toEqual({
      files: [{ id: file.id, name: "notes.txt", mimeType: "text/plain", modifiedTime: "2025-02-03T04:05:06.000Z" }],
    });
    const [request] = google.requestsTo("/drive/v3/files");
    expect(request?.headers.authorization).toMatch(/^Bearer ya29\./);
    expect(request?.headers.authorization).not.toBe(`Bearer ${token}`);
    expect(request?.query).toMatchObject({ q: "(name contains 'notes') and trashed = false", pageSize: "25" });
  });

  test("drive_read_file: a text file, a Google Doc by export; binary and oversized files refused as tool errors", async () => {
    const text = google.addFile({ name: "a.txt", mimeType: "text/plain", content: "alpha" });
    const read = await mcp.callTool(token, "drive_read_file", { fileId: text.id });
    expect(read.result?.structuredContent).toEqual({
      id: text.id,
      name: "a.txt",
      mimeType: "text/plain",
      size: 5,
      content: "alpha",
    });

    const doc = google.addFile({
      name: "Plan",
      mimeType: "application/vnd.google-apps.document",
      exports: { "text/plain": "Step one." },
    });
    const exported = await mcp.callTool(token, "drive_read_file", { fileId: doc.id });
    expect(exported.result?.structuredContent).toMatchObject({ exportedAs: "text/plain", content: "Step one." });

    const png = google.addFile({ name: "p.png", mimeType: "image/png", content: Buffer.from([0x89, 0x50]) });
    const binary = await mcp.callTool(token, "drive_read_file", { fileId: png.id });
    expect(binary.result?.isError).toBe(true);
    expect(textOf(binary.result)).toBe(
      '"p.png" (image/png) is a binary file; only text files and Google Docs, Sheets and Slides can be read',
    );

    const big = google.addFile({ name: "big.txt", mimeType: "text/plain", content: "x".repeat(65) });
    const tooBig = await mcp.callTool(token, "drive_read_file", { fileId: big.id });
    expect(tooBig.result?.isError).toBe(true);
    expect(textOf(tooBig.result)).toBe('"big.txt" (text/plain) is 65 bytes, more than the 64 this tool reads');
  });

  test("drive_read_file of a file Google does not know: its 404, as a tool error", async () => {
    const call = await mcp.callTool(token, "drive_read_file", { fileId: "1missing" });
    expect(call.result?.isError).toBe(true);
    expect(textOf(call.result)).toBe(
      "Google Drive refused to read file metadata (HTTP 404 NOT_FOUND, notFound: File not found: 1missing.)",
    );
  });

  test("drive_read_file refuses an id that is not a Drive id, before any request to Google", async () => {
    const call = await mcp.callTool(token, "drive_read_file", { fileId: "../../upload/drive/v3/files" });
    const message = call.error?.message ?? textOf(call.result);
    expect(message).toContain("must be a Drive file id");
    expect(google.requests).toEqual([]);
  });

  test("drive_create_text_file: a multipart upload; returns id, name and link", async () => {
    const folder = google.addFile({ name: "Reports", mimeType: "application/vnd.google-apps.folder" });
    const call = await mcp.callTool(token, "drive_create_text_file", {
      name: "report.md",
      content: "# Q3\nAll good.",
      mimeType: "text/markdown",
      folderId: folder.id,
    });
    expect(call.result?.isError).toBeFalsy();
    const created = call.result?.structuredContent as { id: string };
    expect(created).toEqual({
      id: expect.any(String),
      name: "report.md",
      mimeType: "text/markdown",
      webViewLink: `https://drive.google.com/file/d/${created.id}/view?usp=drivesdk`,
    });
    const stored = google.files.get(created.id);
    expect(stored?.content?.toString("utf8")).toBe("# Q3\nAll good.");
    expect(stored?.parents).toEqual([folder.id]);
    expect(google.requestsTo("/upload/drive/v3/files")[0]?.multipart?.[0]?.body).toBe(
      JSON.stringify({ name: "report.md", mimeType: "text/markdown", parents: [folder.id] }),
    );
  });
});

describe("scopes and revocation", () => {
  test("signed in with drive.read only: reading works, creating is refused with 403 naming drive.write", async () => {
    const readOnly = await mcp.signIn(["drive.read"]);
    expect((await mcp.callTool(readOnly, "drive_list_files", {})).status).toBe(200);
    const create = await mcp.callTool(readOnly, "drive_create_text_file", { name: "x.txt", content: "x" });
    expect(create.status).toBe(403);
    expect(create.wwwAuthenticate).toContain('error="insufficient_scope"');
    expect(create.wwwAuthenticate).toContain('scope="drive.write"');
    expect(google.requestsTo("/upload/drive/v3/files")).toEqual([]);
  });

  test("the user removed the app at Google: the next call is a tool error saying to sign in again", async () => {
    const victim = await mcp.signIn(["drive.read"]);
    google.revokeUser();
    const call = await mcp.callTool(victim, "drive_list_files", {});
    expect(call.result?.isError).toBe(true);
    expect(textOf(call.result)).toMatch(/^Google refused the access token \(HTTP 401 UNAUTHENTICATED, authError: /);
    expect(textOf(call.result)).toMatch(/sign in again to re-authorize this client\.$/);
  });
});
