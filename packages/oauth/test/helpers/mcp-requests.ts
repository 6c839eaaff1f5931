/**
 * What the OAuth tests share for talking to the MCP endpoint: minting our own access tokens (and
 * forged ones) without the browser flow, plain-fetch JSON-RPC posts for both
 * protocol eras, reading answers that come as JSON or SSE, parsing
 * `WWW-Authenticate`, and a logger whose output the tests can search.
 */
import { createPublicKey, randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import type { Logger } from "@chuk-mcp/server";
import { SignJWT } from "jose";
import { pino } from "pino";
import type { AuthorizationServerContext } from "../../src/context.js";
import { GRANT_ID_CLAIM, issueAccessToken } from "../../src/tokens/access-token.js";

export type Json = Record<string, unknown>;

export interface RpcBody {
  jsonrpc: string;
  id: string | number | null;
  result?: Json;
  error?: { code: number; message: string; data?: unknown };
}

export const MODERN = "2026-07-28";
export const LEGACY = "2025-11-25";
const ACCEPT = "application/json, text/event-stream";

// --- tokens -----------------------------------------------------------------

export interface MintOptions {
  subject?: string;
  clientId?: string;
  scopes?: string[];
  /** The `gid` claim; `null` leaves it out. Default: a fresh random grant id. */
  grantId?: string | null;
  ttl?: number;
  /** Issue time (seconds); default now. */
  now?: number;
  issuer?: string;
  audience?: string;
}

/** An access token exactly as our token endpoint issues it, signed with the server's own key. */
export async function mintToken(
  ctx: AuthorizationServerContext,
  options: MintOptions = {},
): Promise<{ token: string; grantId: string | undefined; jti: string; exp: number }> {
  const grantId = options.grantId === null ? undefined : (options.grantId ?? randomUUID());
  const issued = await issueAccessToken(ctx.keys, {
    issuer: options.issuer ?? ctx.config.issuer,
    subject: options.subject ?? "alice",
    audience: options.audience ?? ctx.resource,
    clientId: options.clientId ?? "client-1",
    scopes: options.scopes ?? [],
    ttl: options.ttl ?? 900,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(grantId === undefined ? {} : { extraClaims: { [GRANT_ID_CLAIM]: grantId } }),
  });
  return { token: issued.token, grantId, jti: issued.claims.jti, exp: issued.claims.exp };
}

/** Claims like ours for hand-made tokens (valid for `ctx` unless overridden). */
export function claimsFor(ctx: AuthorizationServerContext, overrides: Json = {}): Json {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ctx.config.issuer,
    sub: "mallory",
    aud: ctx.resource,
    client_id: "client-1",
    scope: "posts.write profile.read",
    iat: now,
    exp: now + 900,
    jti: randomUUID(),
    [GRANT_ID_CLAIM]: randomUUID(),
    ...overrides,
  };
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** `alg: none`: no signature at all. */
export const unsignedToken = (claims: Json, kid: string): string =>
  `${b64url({ alg: "none", typ: "at+jwt", kid })}.${b64url(claims)}.`;

/** HS256 keyed with our public key (the classic algorithm-confusion attack), in the key's PEM and JWK forms. */
export async function publicKeyHmacTokens(ctx: AuthorizationServerContext, claims: Json): Promise<string[]> {
  const kid = ctx.keys.signing.kid;
  const jwk = ctx.keys.jwks().keys[0];
  const pem = createPublicKey({ key: jwk as unknown as import("node:crypto").JsonWebKey, format: "jwk" })
    .export({ type: "spki", format: "pem" })
    .toString();
  const secrets = [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(jwk))];
  return Promise.all(
    secrets.map((secret) => new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid }).sign(secret)),
  );
}

// --- requests ---------------------------------------------------------------

export interface Answer {
  status: number;
  headers: Headers;
  body: RpcBody | undefined;
}

/** The JSON-RPC answer in a response, whether sent as JSON or as one SSE event. */
export async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: RpcBody | undefined;
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const data = text
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trim())
      .filter((line) => line.length > 0);
    const last = data.at(-1);
    body = last === undefined ? undefined : (JSON.parse(last) as RpcBody);
  } else {
    body = text.length > 0 ? (JSON.parse(text) as RpcBody) : undefined;
  }
  return { status: res.status, headers: res.headers, body };
}

const bearer = (token: string | undefined): Record<string, string> =>
  token === undefined ? {} : { authorization: `Bearer ${token}` };

let nextId = 0;

/** A 2026-07-28 request body: everything a modern request needs is in `params._meta`. */
export function modernBody(method: string, params: Json = {}, meta: Json = {}): Json {
  return {
    jsonrpc: "2.0",
    id: ++nextId,
    method,
    params: {
      ...params,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": { name: "resource-test", version: "1.0.0" },
        "io.modelcontextprotocol/clientCapabilities": {},
        ...meta,
      },
    },
  };
}

/** POSTs one modern request with the headers a conforming client sends (plus `headers`). */
export async function modernPost(
  url: string,
  method: string,
  params: Json = {},
  options: { token?: string; meta?: Json; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: ACCEPT,
    "mcp-protocol-version": MODERN,
    "mcp-method": method,
    ...bearer(options.token),
    ...options.headers,
  };
  if (method === "tools/call" && typeof params.name === "string") headers["mcp-name"] = params.name;
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify(modernBody(method, params, options.meta)),
  });
  return answerOf(res);
}

/** POSTs one legacy message (in the session `sessionId`, when given). */
export async function legacyPost(
  url: string,
  message: Json,
  options: { token?: string; sessionId?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: ACCEPT,
      ...(options.sessionId === undefined
        ? {}
        : { "mcp-session-id": options.sessionId, "mcp-protocol-version": LEGACY }),
      ...bearer(options.token),
      ...options.headers,
    },
    body: JSON.stringify(message),
  });
  return answerOf(res);
}

/** A legacy request message. */
export const legacyRequest = (method: string, params: Json = {}): Json => ({
  jsonrpc: "2.0",
  id: ++nextId,
  method,
  params,
});

/** `initialize` then `notifications/initialized`: the session id, or the refusal of `initialize`. */
export async function openSession(
  url: string,
  token?: string,
): Promise<{ sessionId: string | undefined; answer: Answer }> {
  const answer = await legacyPost(
    url,
    legacyRequest("initialize", {
      protocolVersion: LEGACY,
      capabilities: {},
      clientInfo: { name: "resource-test", version: "1.0.0" },
    }),
    token === undefined ? {} : { token },
  );
  const sessionId = answer.headers.get("mcp-session-id") ?? undefined;
  if (sessionId !== undefined) {
    const ack = await legacyPost(
      url,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { sessionId, ...(token === undefined ? {} : { token }) },
    );
    if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}`);
  }
  return { sessionId, answer };
}

/** What a tool returned: its structured content, else its first text content parsed as JSON (or as is). */
export function toolOutput(answer: Answer): unknown {
  const result = answer.body?.result;
  if (!result) throw new Error(`expected a result, got ${answer.status} ${JSON.stringify(answer.body)}`);
  if (result.structuredContent !== undefined) return result.structuredContent;
  const first = (result.content as { type: string; text?: string }[] | undefined)?.[0];
  if (first?.text === undefined) return undefined;
  try {
    return JSON.parse(first.text);
  } catch {
    return first.text;
  }
}

// --- challenges -------------------------------------------------------------

/** The scheme and attributes of a `WWW-Authenticate` header (one challenge, quoted-string values). */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } {
  if (header === null) throw new Error("no WWW-Authenticate header");
  const space = header.indexOf(" ");
  const scheme = space < 0 ? header : header.slice(0, space);
  const params: Record<string, string> = {};
  const attribute = /([A-Za-z_]+)="((?:[^"\\]|\\.)*)"/g;
  for (const match of (space < 0 ? "" : header.slice(space + 1)).matchAll(attribute)) {
    params[match[1] as string] = (match[2] as string).replace(/\\(.)/g, "$1");
  }
  return { scheme, params };
}

// --- logs -------------------------------------------------------------------

/** A pino logger at `trace` writing into a string the test can search. */
export function capturingLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: "trace" }, sink), text: () => chunks.join("") };
}
