/**
 * In-memory OAuth client providers for the official SDK clients (1.x
 * `@modelcontextprotocol/sdk` and 2.x `@modelcontextprotocol/client`): they
 * keep client information, tokens, PKCE verifier and discovery state the way
 * a real client application would, record what the SDK did with them, and
 * hand every authorization URL to `authorize` (a login without a browser, or
 * a browser page), keeping the redirect it produced. Plus a fetch that
 * records every request the SDK makes, and the structured result of a tool.
 */
import { randomBytes } from "node:crypto";
import type { OAuthClientProvider as Sdk2OAuthClientProvider } from "@modelcontextprotocol/client";
import type { OAuthClientProvider as Sdk1OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { expect } from "vitest";

/** What came back to the client's redirect URI. */
export interface CallbackParams {
  code: string | null;
  state: string | null;
  iss: string | null;
  error: string | null;
}

export interface MemoryOAuthClientSetup {
  /** Shown on the consent page. */
  clientName: string;
  /** A loopback URL (RFC 8252). */
  redirectUrl: string;
  /**
   * Sends the user to `url`: returns the redirect back to the client once the
   * login is done, or `undefined` when the test finishes it later (a browser page).
   */
  authorize(url: URL): Promise<CallbackParams | undefined>;
}

type Json = Record<string, unknown>;
type Credentials = "all" | "client" | "tokens" | "verifier" | "discovery";

class MemoryOAuthClient<Tokens extends Json, ClientInfo extends Json, Discovery> {
  /** Every authorization URL the SDK sent the user to, in order. */
  readonly authorizationUrls: URL[] = [];
  /** Every `state` this client generated, in order. */
  readonly states: string[] = [];
  /** Every token set the SDK saved, in order. */
  readonly savedTokens: Tokens[] = [];
  /** The redirect of the last finished login. */
  lastCallback: CallbackParams | undefined;
  clientInfo: ClientInfo | undefined;
  currentTokens: Tokens | undefined;
  private verifier: string | undefined;
  private discovery: Discovery | undefined;

  constructor(private readonly setup: MemoryOAuthClientSetup) {}

  get redirectUrl(): string {
    return this.setup.redirectUrl;
  }

  get clientMetadata() {
    return {
      client_name: this.setup.clientName,
      redirect_uris: [this.setup.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  state(): string {
    const state = randomBytes(16).toString("base64url");
    this.states.push(state);
    return state;
  }

  clientInformation(): ClientInfo | undefined {
    return this.clientInfo;
  }

  saveClientInformation(info: ClientInfo): void {
    this.clientInfo = info;
  }

  tokens(): Tokens | undefined {
    return this.currentTokens;
  }

  saveTokens(tokens: Tokens): void {
    this.currentTokens = tokens;
    this.savedTokens.push(tokens);
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrls.push(url);
    const callback = await this.setup.authorize(url);
    if (callback) this.lastCallback = callback;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error("no PKCE code verifier saved");
    return this.verifier;
  }

  saveDiscoveryState(state: Discovery): void {
    this.discovery = state;
  }

  discoveryState(): Discovery | undefined {
    return this.discovery;
  }

  invalidateCredentials(scope: Credentials): void {
    if (scope === "all" || scope === "client") this.clientInfo = undefined;
    if (scope === "all" || scope === "tokens") this.currentTokens = undefined;
    if (scope === "all" || scope === "verifier") this.verifier = undefined;
    if (scope === "all" || scope === "discovery") this.discovery = undefined;
  }

  /** The code of the last login; fails when it ended without one. */
  code(): string {
    const code = this.lastCallback?.code;
    if (!code) throw new Error(`the login ended without a code (error: ${this.lastCallback?.error ?? "none"})`);
    return code;
  }

  /** Every credential the client holds now or held: none may appear in the server's logs. */
  secrets(): string[] {
    const out: string[] = [];
    for (const t of this.savedTokens) {
      for (const key of ["access_token", "refresh_token"]) if (typeof t[key] === "string") out.push(t[key] as string);
    }
    if (this.lastCallback?.code) out.push(this.lastCallback.code);
    if (this.verifier) out.push(this.verifier);
    return out;
  }
}

type Sdk1Tokens = Awaited<ReturnType<Sdk1OAuthClientProvider["tokens"]>> & Json;
type Sdk1ClientInfo = Awaited<ReturnType<Sdk1OAuthClientProvider["clientInformation"]>> & Json;
type Sdk1Discovery = NonNullable<Awaited<ReturnType<NonNullable<Sdk1OAuthClientProvider["discoveryState"]>>>>;

/** For `@modelcontextprotocol/sdk` 1.x transports. */
export class Sdk1OAuthClient
  extends MemoryOAuthClient<Sdk1Tokens, Sdk1ClientInfo, Sdk1Discovery>
  implements Sdk1OAuthClientProvider {}

type Sdk2Tokens = Awaited<ReturnType<Sdk2OAuthClientProvider["tokens"]>> & Json;
type Sdk2ClientInfo = Awaited<ReturnType<Sdk2OAuthClientProvider["clientInformation"]>> & Json;
type Sdk2Discovery = NonNullable<Awaited<ReturnType<NonNullable<Sdk2OAuthClientProvider["discoveryState"]>>>>;

/** For `@modelcontextprotocol/client` 2.x transports. */
export class Sdk2OAuthClient
  extends MemoryOAuthClient<Sdk2Tokens, Sdk2ClientInfo, Sdk2Discovery>
  implements Sdk2OAuthClientProvider {}

/** One request an SDK made. */
export interface RecordedRequest {
  method: string;
  url: URL;
  /** The request's headers. */
  headers: Headers;
  /** Form and JSON bodies as text (token and registration requests). */
  body: string | undefined;
  status: number;
  wwwAuthenticate: string | null;
}

/** A fetch that records each request and its answer's status. */
export function recordingFetch(): { fetch: typeof fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const recording: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const body =
      init?.body instanceof URLSearchParams || typeof init?.body === "string" ? String(init.body) : undefined;
    const response = await fetch(input, init);
    requests.push({
      method: method.toUpperCase(),
      url: new URL(url),
      headers: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)),
      body,
      status: response.status,
      wwwAuthenticate: response.headers.get("www-authenticate"),
    });
    return response;
  };
  return { fetch: recording, requests };
}

/** The OAuth-side requests (everything but the MCP endpoint), as "METHOD path". */
export const oauthRequests = (requests: readonly RecordedRequest[], mcpPath = "/mcp"): string[] =>
  requests.filter((r) => r.url.pathname !== mcpPath).map((r) => `${r.method} ${r.url.pathname}`);

/** The `grant_type`s of the token requests, in order. */
export const grantTypes = (requests: readonly RecordedRequest[]): (string | null)[] =>
  requests
    .filter((r) => r.url.pathname === "/oauth/token")
    .map((r) => new URLSearchParams(r.body ?? "").get("grant_type"));

/** The structured content of a tool call (SDK 1.x or 2.x) that must have succeeded. */
export const structured = (result: object): Record<string, unknown> => {
  const r = result as { isError?: unknown; content?: unknown; structuredContent?: unknown };
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as Record<string, unknown>;
};
