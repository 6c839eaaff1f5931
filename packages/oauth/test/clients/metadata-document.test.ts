/**
 * The rules of a Client ID Metadata Document: its URL (draft §3), its
 * content (draft §4.1 and the MCP spec: client_id equal to the URL,
 * client_name and redirect_uris, no shared secret, public clients only
 * here), and the record it becomes.
 */
import { describe, expect, test } from "vitest";
import {
  clientIdDocumentUrl,
  clientRecordOfDocument,
  isClientIdUrl,
  MAX_CLIENT_ID_URL_LENGTH,
} from "../../src/clients/metadata-document.js";
import { ClientMetadataError, oauthErrorResponse } from "../../src/errors.js";

const URL_ID = "https://app.example.com/oauth/client.json";

function refusal(fn: () => unknown): ClientMetadataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ClientMetadataError);
    return err as ClientMetadataError;
  }
  throw new Error("expected a ClientMetadataError");
}

describe("isClientIdUrl", () => {
  test("http(s) URLs are metadata document ids; registered ids (UUIDs, names) are not", () => {
    expect(["https://a.example/c", "HTTPS://a.example/c", "http://a.example/c", "https:x"].map(isClientIdUrl)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(["3b2f5c1e-0000-4000-8000-000000000000", "test-client-1", "urn:x:https://a"].map(isClientIdUrl)).toEqual([
      false,
      false,
      false,
    ]);
  });
});

describe("clientIdDocumentUrl: the URL rules", () => {
  test("a canonical https URL with a path is accepted (port and query allowed)", () => {
    expect(clientIdDocumentUrl(URL_ID).href).toBe(URL_ID);
    expect(clientIdDocumentUrl("https://app.example.com:8443/c?v=1").port).toBe("8443");
  });

  test.each([
    ["http://app.example.com/client.json", "must use https"],
    ["https://app.example.com", "must have a path"],
    ["https://app.example.com/", "must have a path"],
    ["https://app.example.com/a/../client.json", ". or .. path segments"],
    ["https://app.example.com/./client.json", ". or .. path segments"],
    ["https://app.example.com/a/%2e%2e/client.json", ". or .. path segments"],
    ["https://app.example.com/client.json#frag", "fragment"],
    ["https://user:pw@app.example.com/client.json", "user name or password"],
    ["https://user@app.example.com/client.json", "user name or password"],
    ["https://App.Example.com/client.json", "canonical form"],
    ["https://app.example.com:443/client.json", "canonical form"],
    ["https://app.example.com/a b", "whitespace"],
    ["https://app.exämple.com/c", "non-ASCII"],
    ["https://[::1/c", "not a valid URL"],
    [`https://app.example.com/${"a".repeat(MAX_CLIENT_ID_URL_LENGTH)}`, "longer than"],
  ])("%s is refused: %s", (id, reason) => {
    const err = refusal(() => clientIdDocumentUrl(id));
    expect(err.problem).toBe("invalid_client_id_url");
    expect(err.description).toContain(reason);
  });
});

describe("clientRecordOfDocument: the document rules", () => {
  const base = {
    client_id: URL_ID,
    client_name: "Example MCP Client",
    client_uri: "https://app.example.com",
    logo_uri: "https://app.example.com/logo.png",
    redirect_uris: ["http://127.0.0.1:3000/callback", "http://localhost:3000/callback"],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
  const parse = (doc: unknown) => clientRecordOfDocument(URL_ID, JSON.stringify(doc), 1_700_000_000);

  test("the spec's example document becomes a public client record", () => {
    expect(parse(base)).toEqual({
      clientId: URL_ID,
      clientName: "Example MCP Client",
      redirectUris: base.redirect_uris,
      grantTypes: ["authorization_code"],
      responseTypes: ["code"],
      tokenEndpointAuthMethod: "none",
      applicationType: "web",
      issuedAt: 1_700_000_000,
      metadata: { client_uri: "https://app.example.com", logo_uri: "https://app.example.com/logo.png" },
    });
  });

  test("token_endpoint_auth_method defaults to none (there is no secret to share); scopes are kept as listed", () => {
    const { token_endpoint_auth_method: _omitted, ...rest } = base;
    const record = parse({ ...rest, scope: "posts.write openid" });
    expect(record.tokenEndpointAuthMethod).toBe("none");
    expect(record.scopes).toEqual(["posts.write", "openid"]);
  });

  test.each<[string, unknown, ClientMetadataError["problem"], string]>([
    ["not JSON", "{nope", "invalid_json", "not valid JSON"],
    ["an array", [], "invalid_json", "JSON object"],
    ["client_id missing", { ...base, client_id: undefined }, "client_id_mismatch", "exactly the URL"],
    ["client_id of another URL", { ...base, client_id: "https://evil.example/client.json" }, "client_id_mismatch", ""],
    ["client_id with a trailing slash", { ...base, client_id: `${URL_ID}/` }, "client_id_mismatch", ""],
    ["client_name missing", { ...base, client_name: undefined }, "invalid_document", "client_name"],
    ["client_name blank", { ...base, client_name: "  " }, "invalid_document", "client_name"],
    ["redirect_uris missing", { ...base, redirect_uris: undefined }, "invalid_document", "redirect_uris"],
    ["redirect_uris empty", { ...base, redirect_uris: [] }, "invalid_document", "redirect_uris"],
    [
      "an http redirect URI off loopback",
      { ...base, redirect_uris: ["http://evil.example/cb"] },
      "invalid_document",
      "loopback",
    ],
    ["a javascript: redirect URI", { ...base, redirect_uris: ["javascript:alert(1)"] }, "invalid_document", ""],
    ["a client_secret", { ...base, client_secret: "s3cret" }, "invalid_document", "client_secret"],
    ["client_secret_basic", { ...base, token_endpoint_auth_method: "client_secret_basic" }, "invalid_document", ""],
    ["client_secret_jwt", { ...base, token_endpoint_auth_method: "client_secret_jwt" }, "invalid_document", ""],
    [
      "private_key_jwt",
      { ...base, token_endpoint_auth_method: "private_key_jwt", jwks_uri: "https://app.example.com/jwks" },
      "unsupported_auth_method",
      "private_key_jwt is not supported here",
    ],
    ["an implicit response type", { ...base, response_types: ["token"] }, "invalid_document", "response_types"],
    ["a client_credentials grant", { ...base, grant_types: ["client_credentials"] }, "invalid_document", ""],
  ])("%s is refused", (_name, doc, problem, text) => {
    const err = refusal(() => clientRecordOfDocument(URL_ID, typeof doc === "string" ? doc : JSON.stringify(doc), 1));
    expect(err.problem).toBe(problem);
    expect(err.description).toContain(text);
    // Never the document's own values (a secret, an attacker's text).
    expect(err.description).not.toContain("s3cret");
    expect(err.description).not.toContain("evil.example/client.json");
  });
});

describe("ClientMetadataError: its wire form", () => {
  test("invalid_client (401, no-store) with the rule as description", () => {
    const response = oauthErrorResponse(new ClientMetadataError("redirect", 'a "quoted"\nreason'));
    expect(response).toEqual({
      status: 401,
      headers: { "cache-control": "no-store" },
      body: { error: "invalid_client", error_description: "a 'quoted' reason" },
    });
  });
});
