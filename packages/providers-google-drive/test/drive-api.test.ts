/**
 * GoogleDriveClient against the Drive stand-in over real HTTP: listing with
 * Drive's query, fields and paging; reading text, exporting Google Docs and
 * Sheets, refusing binary and oversized files; creating a file with a real
 * multipart/related upload; and Google's error answers as DriveErrors.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { rejectionOf } from "../../oauth/test/helpers/rejection.js";
import { DriveError, GoogleDriveClient, googleDriveEndpoints } from "../src/index.js";
import { type GoogleStandIn, startGoogleStandIn } from "./stand-in.js";

const DRIVE_FILE = "https://www.googleapis.com/auth/drive.file";
let google: GoogleStandIn;
let drive: GoogleDriveClient;
let token: string;

beforeAll(async () => {
  google = await startGoogleStandIn();
});
afterAll(() => google.close());
beforeEach(() => {
  google.files.clear();
  google.requests.length = 0;
  token = google.issueAccessToken({ scopes: [DRIVE_FILE] });
  drive = new GoogleDriveClient(googleDriveEndpoints(google.origin), token);
});

const driveError = (promise: Promise<unknown>): Promise<DriveError> => rejectionOf(promise, DriveError);

describe("listFiles", () => {
  test("asks for exactly the fields it returns, newest first, without trashed files", async () => {
    google.addFile({ name: "old.txt", mimeType: "text/plain", content: "a", modifiedTime: "2025-01-01T00:00:00.000Z" });
    const doc = google.addFile({
      name: "Plan",
      mimeType: "application/vnd.google-apps.document",
      exports: { "text/plain": "plan" },
      modifiedTime: "2025-03-01T00:00:00.000Z",
    });
    google.addFile({ name: "gone.txt", mimeType: "text/plain", content: "x", trashed: true });
    const list = await drive.listFiles();
    expect(list).toEqual({
      files: [
        {
          id: doc.id,
          name: "Plan",
          mimeType: "application/vnd.google-apps.document",
          modifiedTime: "2025-03-01T00:00:00.000Z",
        },
        { id: expect.any(String), name: "old.txt", mimeType: "text/plain", modifiedTime: "2025-01-01T00:00:00.000Z" },
      ],
    });
    const [request] = google.requestsTo("/drive/v3/files");
    expect(request?.query).toEqual({
      q: "trashed = false",
      fields: "nextPageToken,files(id,name,mimeType,modifiedTime)",
      orderBy: "modifiedTime desc",
    });
    expect(request?.headers.authorization).toBe(`Bearer ${token}`);
  });

  test("a query is Drive's search syntax, kept apart from the trashed filter by parentheses", async () => {
    google.addFile({ name: "notes.txt", mimeType: "text/plain", content: "a" });
    google.addFile({ name: "todo.md", mimeType: "text/markdown", content: "b" });
    google.addFile({ name: "notes-old.txt", mimeType: "text/plain", content: "c", trashed: true });
    const list = await drive.listFiles({ query: "name contains 'notes' or mimeType = 'text/markdown'" });
    expect(list.files.map((f) => f.name).sort()).toEqual(["notes.txt", "todo.md"]);
    expect(google.requestsTo("/drive/v3/files")[0]?.query.q).toBe(
      "(name contains 'notes' or mimeType = 'text/markdown') and trashed = false",
    );
    const withTrash = await drive.listFiles({ query: "name contains 'notes'", includeTrashed: true });
    expect(withTrash.files.map((f) => f.name).sort()).toEqual(["notes-old.txt", "notes.txt"]);
  });

  test("pages: nextPageToken until the last page", async () => {
    for (let i = 0; i < 5; i++) {
      google.addFile({
        name: `f${i}.txt`,
        mimeType: "text/plain",
        content: "x",
        modifiedTime: `2025-01-0${i + 1}T00:00:00.000Z`,
      });
    }
    const first = await drive.listFiles({ pageSize: 2 });
    expect(first.files.map((f) => f.name)).toEqual(["f4.txt", "f3.txt"]);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = await drive.listFiles({ pageSize: 2, pageToken: first.nextPageToken as string });
    expect(second.files.map((f) => f.name)).toEqual(["f2.txt", "f1.txt"]);
    const last = await drive.listFiles({ pageSize: 2, pageToken: second.nextPageToken as string });
    expect(last.files.map((f) => f.name)).toEqual(["f0.txt"]);
    expect(last.nextPageToken).toBeUndefined();
  });

  test("with drive.file, only the files the app created or opened exist", async () => {
    google.addFile({ name: "mine.txt", mimeType: "text/plain", content: "a" });
    const other = google.addFile({ name: "private.txt", mimeType: "text/plain", content: "b", visibleToApp: false });
    expect((await drive.listFiles()).files.map((f) => f.name)).toEqual(["mine.txt"]);
    const err = await driveError(drive.readTextFile(other.id));
    expect(err.status).toBe(404);
  });

  test("a full-text search is sent without a sort order (Drive refuses one)", async () => {
    google.addFile({ name: "a.txt", mimeType: "text/plain", content: "the quarterly numbers" });
    const list = await drive.listFiles({ query: "fullText contains 'quarterly'" });
    expect(list.files.map((f) => f.name)).toEqual(["a.txt"]);
    expect(google.requestsTo("/drive/v3/files")[0]?.query.orderBy).toBeUndefined();
  });

  test("a query Drive cannot parse is a DriveError with Google's status and message", async () => {
    const err = await driveError(drive.listFiles({ query: "name contians 'x'" }));
    expect(err.kind).toBe("api_error");
    expect(err.status).toBe(400);
    expect(err.reason).toBe("invalid");
    expect(err.message).toBe("Google Drive refused to list files (HTTP 400 INVALID_ARGUMENT, invalid: Invalid Value)");
  });
});

describe("readTextFile", () => {
  test("a text file: metadata, then its content with alt=media", async () => {
    const file = google.addFile({ name: "notes.md", mimeType: "text/markdown", content: "# Notes\nÜmlauts ✓" });
    const read = await drive.readTextFile(file.id);
    expect(read).toEqual({
      id: file.id,
      name: "notes.md",
      mimeType: "text/markdown",
      size: Buffer.byteLength("# Notes\nÜmlauts ✓"),
      content: "# Notes\nÜmlauts ✓",
    });
    expect(google.requestsTo(`/drive/v3/files/${file.id}`).map((r) => r.query)).toEqual([
      { fields: "id,name,mimeType,size" },
      { alt: "media" },
    ]);
  });

  test("a Google Doc is exported as text/plain, a Sheet as CSV", async () => {
    const doc = google.addFile({
      name: "Plan",
      mimeType: "application/vnd.google-apps.document",
      exports: { "text/plain": "Step one.\nStep two.", "text/html": "<p>Step one.</p>" },
    });
    expect(await drive.readTextFile(doc.id)).toEqual({
      id: doc.id,
      name: "Plan",
      mimeType: "application/vnd.google-apps.document",
      exportedAs: "text/plain",
      size: 19,
      content: "Step one.\nStep two.",
    });
    expect(google.requestsTo(`/drive/v3/files/${doc.id}/export`)[0]?.query).toEqual({ mimeType: "text/plain" });
    // Downloading a Doc directly is what Google refuses:
    const direct = await fetch(`${google.origin}/drive/v3/files/${doc.id}?alt=media`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(direct.status).toBe(403);
    expect(((await direct.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]?.reason).toBe(
      "fileNotDownloadable",
    );

    const sheet = google.addFile({
      name: "Budget",
      mimeType: "application/vnd.google-apps.spreadsheet",
      exports: { "text/csv": "item,cost\ntea,3\n" },
    });
    const csv = await drive.readTextFile(sheet.id);
    expect(csv).toMatchObject({ exportedAs: "text/csv", content: "item,cost\ntea,3\n" });
  });

  test("binary files and Drive items without content are refused, without downloading anything", async () => {
    const png = google.addFile({
      name: "photo.png",
      mimeType: "image/png",
      content: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    });
    const err = await driveError(drive.readTextFile(png.id));
    expect(err.kind).toBe("unreadable");
    expect(err.message).toBe(
      '"photo.png" (image/png) is a binary file; only text files and Google Docs, Sheets and Slides can be read',
    );
    const folder = google.addFile({ name: "Projects", mimeType: "application/vnd.google-apps.folder" });
    expect((await driveError(drive.readTextFile(folder.id))).message).toBe(
      '"Projects" (application/vnd.google-apps.folder) is a Google Drive item with no text to read; only Google Docs, Sheets and Slides can be exported as text',
    );
    expect(google.requests.filter((r) => r.query.alt === "media" || r.path.endsWith("/export"))).toEqual([]);
  });

  test("files over the cap are refused: by their size before downloading, exports while reading", async () => {
    const small = new GoogleDriveClient(googleDriveEndpoints(google.origin), token, { maxReadBytes: 10 });
    const big = google.addFile({ name: "big.txt", mimeType: "text/plain", content: "x".repeat(11) });
    expect((await driveError(small.readTextFile(big.id))).message).toBe(
      '"big.txt" (text/plain) is 11 bytes, more than the 10 this tool reads',
    );
    expect(google.requests.some((r) => r.query.alt === "media")).toBe(false);
    const doc = google.addFile({
      name: "Long doc",
      mimeType: "application/vnd.google-apps.document",
      exports: { "text/plain": "y".repeat(11) },
    });
    expect((await driveError(small.readTextFile(doc.id))).message).toBe(
      '"Long doc" (application/vnd.google-apps.document) is larger than the 10 bytes this tool reads (exported as text/plain)',
    );
    const exact = google.addFile({ name: "ten.txt", mimeType: "text/plain", content: "z".repeat(10) });
    expect((await small.readTextFile(exact.id)).content).toBe("z".repeat(10));
  });

  test("text that is not UTF-8 is refused", async () => {
    const latin1 = google.addFile({
      name: "old.txt",
      mimeType: "text/plain",
      content: Buffer.from([0x63, 0x61, 0x66, 0xe9]),
    });
    const err = await driveError(drive.readTextFile(latin1.id));
    expect(err.message).toBe('"old.txt" (text/plain) is not UTF-8 text');
  });

  test("an unknown file is Google's 404, named", async () => {
    const err = await driveError(drive.readTextFile("1doesNotExist"));
    expect(err).toMatchObject({ kind: "api_error", status: 404, reason: "notFound" });
    expect(err.message).toBe(
      "Google Drive refused to read file metadata (HTTP 404 NOT_FOUND, notFound: File not found: 1doesNotExist.)",
    );
  });
});

describe("createTextFile", () => {
  test("one multipart/related upload: the JSON metadata, then the content; returns id, name and link", async () => {
    const content = "line one\r\n--not-a-boundary\r\nÜnïcödé ✓\n";
    const created = await drive.createTextFile({ name: "notes.md", content, mimeType: "text/markdown" });
    expect(created).toEqual({
      id: expect.any(String),
      name: "notes.md",
      mimeType: "text/markdown",
      webViewLink: `https://drive.google.com/file/d/${created.id}/view?usp=drivesdk`,
    });
    const [upload] = google.requestsTo("/upload/drive/v3/files", "POST");
    expect(upload?.query).toEqual({ uploadType: "multipart", fields: "id,name,mimeType,webViewLink" });
    expect(upload?.headers["content-type"]).toMatch(/^multipart\/related; boundary=chuk_mcp_[0-9a-f]{32}$/);
    expect(upload?.multipart).toEqual([
      {
        headers: { "content-type": "application/json; charset=UTF-8" },
        body: JSON.stringify({ name: "notes.md", mimeType: "text/markdown" }),
      },
      { headers: { "content-type": "text/markdown; charset=UTF-8" }, body: content },
    ]);
    expect(google.files.get(created.id)?.content?.toString("utf8")).toBe(content);
    // It reads back as written.
    expect((await drive.readTextFile(created.id)).content).toBe(content);
  });

  test("into a folder; an empty file; a folder that does not exist is Google's 404", async () => {
    const folder = google.addFile({ name: "Reports", mimeType: "application/vnd.google-apps.folder" });
    const created = await drive.createTextFile({ name: "empty.txt", content: "", folderId: folder.id });
    expect(google.files.get(created.id)).toMatchObject({ parents: [folder.id], mimeType: "text/plain" });
    expect(google.files.get(created.id)?.content?.byteLength).toBe(0);
    const err = await driveError(drive.createTextFile({ name: "x.txt", content: "x", folderId: "1noSuchFolder" }));
    expect(err).toMatchObject({ status: 404, reason: "notFound" });
  });

  test("content over Drive's 5 MB multipart limit is refused before sending", async () => {
    const err = await driveError(drive.createTextFile({ name: "huge.txt", content: "x".repeat(5 * 1024 * 1024 + 1) }));
    expect(err.kind).toBe("invalid_request");
    expect(err.message).toBe("The content is 5242881 bytes; Drive takes at most 5242880 in one upload");
    expect(google.requestsTo("/upload/drive/v3/files")).toEqual([]);
  });

  test("the stand-in parses the body for real: a malformed multipart body is Google's 400", async () => {
    const response = await fetch(`${google.origin}/upload/drive/v3/files?uploadType=multipart`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "multipart/related; boundary=abc" },
      body: '--abc\r\nContent-Type: application/json\r\n\r\n{"name":"x"}\r\n--abc--',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 400, message: "Malformed multipart body.", status: "INVALID_ARGUMENT" },
    });
  });
});

describe("Google's refusals", () => {
  test("an expired or revoked token is 'unauthorized', and says to sign in again", async () => {
    google.expireAccessTokens();
    const err = await driveError(drive.listFiles());
    expect(err.kind).toBe("unauthorized");
    expect(err.status).toBe(401);
    expect(err.message).toBe(
      "Google refused the access token (HTTP 401 UNAUTHENTICATED, authError: Request had invalid authentication " +
        "credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See " +
        "https://developers.google.com/identity/sign-in/web/devconsole-project.). The Google authorization has " +
        "expired or was revoked: sign in again to re-authorize this client.",
    );
    expect(err.message).not.toContain(token);
  });

  test("a token without a Drive scope: Google's 403, with a hint", async () => {
    const profileOnly = new GoogleDriveClient(
      googleDriveEndpoints(google.origin),
      google.issueAccessToken({ scopes: ["openid"] }),
    );
    const err = await driveError(profileOnly.createTextFile({ name: "a.txt", content: "a" }));
    expect(err).toMatchObject({ kind: "api_error", status: 403, reason: "insufficientPermissions" });
    expect(err.message).toBe(
      "Google Drive refused to create file (HTTP 403 PERMISSION_DENIED, insufficientPermissions: Request had " +
        "insufficient authentication scopes.). The Google grant may lack Drive access: sign in again and allow it.",
    );
  });

  test("Google unreachable is 'unavailable'", async () => {
    const nowhere = new GoogleDriveClient(googleDriveEndpoints("http://127.0.0.1:9"), token, { timeoutMs: 2000 });
    const err = await driveError(nowhere.listFiles());
    expect(err.kind).toBe("unavailable");
    expect(err.message).toMatch(/^Google Drive could not be reached \(list files\): network error/);
  });
});
